import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('model/backoff');
const policy = { initialMs: 500, maxMs: 60_000 };

describe('the one retry backoff', () => {
  it('backs off exponentially with jitter between half and all of the step, capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, r) => {
        const step = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
        const d = backoffDelayMs(policy, attempt, r);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
        expect(Number.isInteger(d)).toBe(true);
      }),
      { seed },
    );
  });

  it('doubles the step per attempt until the cap', () => {
    expect([1, 2, 3, 8, 9, 1000].map((a) => backoffDelayMs(policy, a, 0))).toEqual([250, 500, 1000, 30_000, 30_000, 30_000]);
    expect([1, 2, 3].map((a) => backoffDelayMs(policy, a, 0.9999999))).toEqual([500, 1000, 2000]);
  });
});
