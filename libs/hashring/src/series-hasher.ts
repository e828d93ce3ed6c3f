import type { ReadRing } from './read-ring.ts';
import type { SeriesHash } from './series-hash.ts';

/**
 * The part of the xxhash-wasm API this package uses: pass the object from
 * `await (await import('xxhash-wasm')).default()`. Loading the wasm module is
 * the caller's job (once per process), so every lookup stays synchronous.
 */
export interface Xxh64Api {
  h64(input: string, seed?: bigint): bigint;
}

/** Hashes canonical series keys (see `canonicalSeriesKey`) with xxhash64, seed 0. */
export interface SeriesHasher {
  /** The 64-bit hash of the UTF-8 bytes of `key`, as uint32 halves. Allocates one small object. */
  hash(key: string): SeriesHash;
  /** The series id of `key`: 16 lowercase hex chars, equal to `seriesIdHex(hash(key))`. */
  seriesId(key: string): string;
  /**
   * Owner of `key` on `ring` (hash then lookup) without allocating a
   * `SeriesHash`. Same answer as `ring.ownerOf(hash(key))`.
   * @throws EmptyRingError when the ring has no members.
   */
  ownerOfKey(ring: ReadRing, key: string): string;
}

/**
 * Builds a `SeriesHasher` over a loaded xxhash-wasm API. Not reentrant across
 * threads (one scratch buffer), which JavaScript's single thread makes moot.
 */
export function createSeriesHasher(api: Xxh64Api): SeriesHasher {
  // h64 hands back a BigInt; storing it into a BigUint64Array and reading the
  // two uint32 views splits it without any BigInt arithmetic (measured ~10%
  // faster than `Number(h >> 32n)` and friends, and allocation free).
  const scratch64 = new BigUint64Array(1);
  const scratch32 = new Uint32Array(scratch64.buffer);
  scratch64[0] = 1n;
  const loIndex = scratch32[0] === 1 ? 0 : 1;
  const hiIndex = 1 - loIndex;

  return {
    hash(key) {
      scratch64[0] = api.h64(key);
      return { hi: scratch32[hiIndex] as number, lo: scratch32[loIndex] as number };
    },
    seriesId(key) {
      return api.h64(key).toString(16).padStart(16, '0');
    },
    ownerOfKey(ring, key) {
      scratch64[0] = api.h64(key);
      return ring.ownerOfWords(scratch32[hiIndex] as number, scratch32[loIndex] as number);
    },
  };
}
