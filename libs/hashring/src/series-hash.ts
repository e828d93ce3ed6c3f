/**
 * A 64-bit series hash (xxhash64 of the canonical series key, seed 0) as two
 * unsigned 32-bit halves, so the hot path never does BigInt arithmetic.
 */
export interface SeriesHash {
  /** Upper 32 bits, 0..2^32-1. */
  readonly hi: number;
  /** Lower 32 bits, 0..2^32-1. */
  readonly lo: number;
}

/**
 * The series id used in Redis keys: the 64-bit hash as 16 lowercase hex chars,
 * most significant first (equal to xxhash-wasm `h64ToString(key)`).
 */
export function seriesIdHex(h: SeriesHash): string {
  return (h.hi >>> 0).toString(16).padStart(8, '0') + (h.lo >>> 0).toString(16).padStart(8, '0');
}
