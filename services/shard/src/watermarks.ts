/**
 * A slot's watermarks as the worker tracks them: per raw partition, the
 * highest raw offset applied, once for the finest resolution and once for the
 * coarse ones (which are flushed less often; see services/shard/README.md,
 * "Coarse resolutions"). Each flush compare-and-sets them in the slot's
 * watermark hash (flush-2.lua).
 */

/** "No raw offset applied yet" for a raw partition. */
export const NO_WATERMARK = -1;

/** Advance of one watermark: the script applies it only if Redis still holds `expected`. */
export interface WatermarkAdvance {
  readonly rawPartition: number;
  /** The watermark of the coarse resolutions (every one but the finest); absent: the finest's. */
  readonly coarse?: true;
  readonly expected: number;
  readonly next: number;
}

/** Prefix of the coarse resolutions' fields in a slot's watermark hash (see flush-2.lua). */
export const COARSE_WATERMARK_PREFIX = 'c';

/** The watermark hash field of an advance: the raw partition, prefixed for the coarse resolutions'. */
export function watermarkField(w: Pick<WatermarkAdvance, 'rawPartition' | 'coarse'>): string {
  return w.coarse ? `${COARSE_WATERMARK_PREFIX}${w.rawPartition}` : String(w.rawPartition);
}

/** The watermarks of one class of resolutions (the finest, or the coarse ones) in one partition. */
export class ClassWatermarks {
  /** Highest raw offset folded in, flushed or not: the skip threshold. */
  readonly seen = new Map<number, number>();
  /** Highest raw offset Redis holds (as far as this process knows): the CAS expectation. */
  readonly flushed: Map<number, number>;

  constructor(watermarks: ReadonlyMap<number, number>) {
    this.flushed = new Map(watermarks);
    for (const [rp, o] of watermarks) this.seen.set(rp, o);
  }

  /** The advances since the last call; records them as flushed. */
  take(coarse: boolean): WatermarkAdvance[] {
    const out: WatermarkAdvance[] = [];
    for (const [rawPartition, next] of this.seen) {
      const expected = this.flushed.get(rawPartition) ?? NO_WATERMARK;
      if (next !== expected) out.push(coarse ? { rawPartition, coarse, expected, next } : { rawPartition, expected, next });
      this.flushed.set(rawPartition, next);
    }
    return out;
  }
}
