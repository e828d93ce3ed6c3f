import fc from 'fast-check';
import xxhash from 'xxhash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex, SlotRing, type SeriesHasher } from '@ringtail/hashring';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('series-hasher');
let api: Awaited<ReturnType<typeof xxhash>>;
let hasher: SeriesHasher;

beforeAll(async () => {
  api = await xxhash();
  hasher = createSeriesHasher(api);
});

describe('createSeriesHasher', () => {
  it('splits xxhash64 of the UTF-8 key into its upper and lower 32 bits', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (key) => {
        const h = hasher.hash(key);
        const full = api.h64(key);
        expect(h.hi).toBe(Number(full >> 32n));
        expect(h.lo).toBe(Number(full & 0xffffffffn));
      }),
      { seed, numRuns: 500 },
    );
  });

  it('gives the series id as 16 lowercase hex chars equal to h64ToString', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (key) => {
        const id = seriesIdHex(hasher.hash(key));
        expect(id).toMatch(/^[0-9a-f]{16}$/);
        expect(id).toBe(api.h64ToString(key));
        expect(hasher.seriesId(key)).toBe(id);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('hashes a series the same whatever its label order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), fc.string(), { maxKeys: 8 }), (labels) => {
        const reversed = Object.fromEntries(Object.entries(labels).reverse());
        expect(hasher.hash(canonicalSeriesKey('m', reversed))).toEqual(hasher.hash(canonicalSeriesKey('m', labels)));
      }),
      { seed, numRuns: 300 },
    );
  });

  it('finds the same owner on the fast path as through ownerOf(hash(key))', () => {
    const ring = SlotRing.of(['w0', 'w1', 'w2', 'shard-3']);
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (key) => {
        expect(hasher.ownerOfKey(ring, key)).toBe(ring.ownerOf(hasher.hash(key)));
      }),
      { seed, numRuns: 500 },
    );
  });
});
