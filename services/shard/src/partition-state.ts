import { windowHeldUntilMs, type Resolution, type ShardSeries, type WindowAggregate } from '@ringtail/model';
import type { IndexedSeries, LateSample, PartitionBatch, WindowDelta } from './flush-batch.ts';
import { ClassWatermarks } from './watermarks.ts';

/** One series' unflushed windows. */
export interface SeriesWindows {
  readonly series: ShardSeries;
  /** One map per resolution: window start ms → aggregate. */
  readonly byResolution: Map<number, WindowAggregate>[];
}

/**
 * What the aggregator holds of one shard partition between batches: its two
 * classes of watermarks, its unflushed windows, and the Kafka offsets the
 * batches re-read from and commit (see WindowAggregator).
 */
export class PartitionState {
  readonly fine: ClassWatermarks;
  readonly coarse: ClassWatermarks;
  /** Unflushed windows of every resolution; the finest's are taken by every batch, the coarse ones' when due. */
  series = new Map<string, SeriesWindows>();
  /** Samples folded into the finest resolution since the last batch. */
  sampleCount = 0;
  /** Samples folded into a coarse resolution since the last batch that carried them. */
  coarseSampleCount = 0;
  lastKafkaOffset: string | null = null;
  /**
   * First record added since the last batch that carried the coarse resolutions: never
   * later than the first since the last batch, so where a fenced batch re-reads from.
   */
  coarseFirstKafkaOffset: string | null = null;
  /** Kafka offset after the last record the last batch with the coarse resolutions covered: what batches commit. */
  coveredKafkaOffset: string | null = null;
  /** Coarse-flush period (see WindowAggregator's `coarseEpoch`) of the last batch that carried the coarse resolutions. */
  coarseEpoch = -Infinity;
  /** Kafka offset after the last record added, flushed or not: where this process goes on reading. */
  nextKafkaOffset: bigint | null = null;
  /** Per resolution index: windows starting before it are closed (-Infinity: none). */
  readonly closedThrough: number[];
  /** Highest raw record time of the records added since the last batch; -1: none. */
  clockMs = -1;
  late: LateSample[] = [];

  constructor(fine: ReadonlyMap<number, number>, coarse: ReadonlyMap<number, number>, closedThrough: number[]) {
    this.fine = new ClassWatermarks(fine);
    this.coarse = new ClassWatermarks(coarse);
    this.closedThrough = closedThrough;
  }

  /** The unflushed windows of `series`, created on its first sample. */
  windowsOf(series: ShardSeries, resolutionCount: number): SeriesWindows {
    let sw = this.series.get(series.id);
    if (sw === undefined) {
      sw = { series, byResolution: Array.from({ length: resolutionCount }, () => new Map<number, WindowAggregate>()) };
      this.series.set(series.id, sw);
    }
    return sw;
  }

  /**
   * This partition's batch: the finest resolution's deltas, with `coarse` every
   * resolution's, and the series to index (not in `indexed`, this process's
   * memory of index expiries, or indexed to expire too soon). With `coarse` the
   * offset batches commit moves up to the last record added.
   */
  toBatch(shardPartition: number, coarse: boolean, resolutions: readonly Resolution[], indexed: ReadonlyMap<string, number>): PartitionBatch {
    const watermarks = this.fine.take(false);
    if (coarse) watermarks.push(...this.coarse.take(true));
    const windows: WindowDelta[] = [];
    const newSeries: IndexedSeries[] = [];
    for (const [seriesId, sw] of this.series) {
      let indexedUntilMs = -Infinity;
      sw.byResolution.forEach((byStart, r) => {
        if (r > 0 && !coarse) return;
        const resolution = resolutions[r]!;
        for (const [startMs, window] of byStart) {
          windows.push({ seriesId, resolution, startMs, window });
          indexedUntilMs = Math.max(indexedUntilMs, windowHeldUntilMs(startMs, resolution));
        }
      });
      if (indexedUntilMs > (indexed.get(seriesId) ?? -Infinity)) newSeries.push({ ...sw.series, indexedUntilMs });
    }
    if (coarse) this.coveredKafkaOffset = this.nextKafkaOffset!.toString();
    return {
      shardPartition,
      watermarks,
      windows,
      newSeries,
      sampleCount: this.sampleCount,
      // Set by every record added since the last batch (takeBatch takes none without one).
      firstKafkaOffset: this.coarseFirstKafkaOffset!,
      commitKafkaOffset: this.coveredKafkaOffset!,
      closedThrough: resolutions.map((r, i) => ({ resolution: r.name, startMs: this.closedThrough[i] === -Infinity ? null : this.closedThrough[i]! })),
      ...(this.clockMs >= 0 ? { clockMs: this.clockMs } : {}),
      late: this.late,
    };
  }
}
