import { describe, expect, it } from 'vitest';
import { percentile } from '@ringtail/loadgen';

describe('percentile', () => {
  it('is the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7, 9], 50)).toBe(7);
    expect(percentile([7, 9], 51)).toBe(9);
  });

  it('is NaN for no values and the minimum for p near 0', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([3, 4, 5], 0)).toBe(3);
  });
});
