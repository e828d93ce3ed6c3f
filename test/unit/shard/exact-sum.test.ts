import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToLimbs, exactSum, limbsToScaled, scaledToNumber, type Limbs } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('shard/exact-sum');
const RUNS = { seed: SEED, numRuns: 300 };
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

describe('exact sum', () => {
  it('round-trips every finite double', () => {
    fc.assert(
      fc.property(finite, (v) => {
        expect(exactSum([v])).toBe(v === 0 ? 0 : v);
      }),
      RUNS,
    );
  });

  it('does not depend on order or grouping', () => {
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 50 }), fc.nat(), (values, cut) => {
        const at = values.length === 0 ? 0 : cut % values.length;
        const a: Limbs = new Map();
        const b: Limbs = new Map();
        for (const v of values.slice(0, at)) addToLimbs(a, v);
        for (const v of values.slice(at).reverse()) addToLimbs(b, v);
        const grouped = scaledToNumber(limbsToScaled(a) + limbsToScaled(b));
        expect(grouped).toBe(exactSum([...values].reverse()));
      }),
      RUNS,
    );
  });

  it('equals float addition where float addition is exact', () => {
    // Multiples of 2^-8 below 2^30: every partial sum is representable.
    const dyadic = fc.integer({ min: -(2 ** 38), max: 2 ** 38 }).map((n) => n / 256);
    fc.assert(
      fc.property(fc.array(dyadic, { maxLength: 100 }), (values) => {
        expect(exactSum(values)).toBe(values.reduce((s, v) => s + v, 0));
      }),
      RUNS,
    );
  });

  it('rounds the exact total once', () => {
    expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6);
    expect(exactSum([1e300, 1, -1e300])).toBe(1);
    expect(exactSum([2 ** 53, 1, 1])).toBe(2 ** 53 + 2);
  });
});
