import type { SeriesHash } from './series-hash.ts';

/**
 * What a reader of the ring needs (ingest routing, status pages). Lookups are
 * synchronous and pure: the same ring value always gives the same owner.
 */
export interface ReadRing {
  /**
   * The worker that owns the series with hash `h`.
   * @throws EmptyRingError when the ring has no members.
   */
  ownerOf(h: SeriesHash): string;
  /**
   * Same as `ownerOf({ hi, lo })` without building the object: the hot path of
   * `SeriesHasher.ownerOfKey`. `hi` and `lo` are the uint32 halves of the hash.
   * @throws EmptyRingError when the ring has no members.
   */
  ownerOfWords(hi: number, lo: number): string;
  /** Member worker ids in join order (oldest first). */
  members(): readonly string[];
  /** Number of members. */
  readonly size: number;
}

/** One totally ordered membership change (one ring epoch). */
export interface RingChange {
  readonly op: 'join' | 'leave';
  readonly worker: string;
  /** Relative capacity of a joining worker, integer ≥ 1; default 1. Ignored on leave. */
  readonly weight?: number;
}
