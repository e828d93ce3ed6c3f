import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seriesIdHex } from '@ringtail/hashring';
import { redisKeys, slotOfHashLow, slotOfSeriesId } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('slots');

describe('slots', () => {
  it('finds the same slot from a series id as ingest finds from its hash', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 4096 }), (hi, lo, slots) => {
        const slot = slotOfSeriesId(seriesIdHex({ hi, lo }), slots);
        expect(slot).toBe(slotOfHashLow(lo, slots));
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(slot).toBeLessThan(slots);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('gives a slot\'s windows and watermarks the slot\'s hash tag, and the index the namespace\'s', () => {
    const keys = redisKeys('ns.', 16);
    expect(keys.window('00000000000000ff', '1m', 60_000)).toBe('{rt:ns.:15}:w:1m:00000000000000ff:60000');
    expect(keys.watermarks(15)).toBe('{rt:ns.:15}:wm');
    expect(keys.series('00000000000000ff')).toBe('{rt:ns.}:s:00000000000000ff');
    // SCAN MATCH: `{rt:ns.}` and `{rt:ns.:<slot>}`, but not `{rt:ns.x...`.
    expect(keys.scanPattern).toBe('{rt:ns.[}:]*');
  });
});
