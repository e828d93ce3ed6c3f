import {
  addSample,
  windowOfSample,
  windowStartMs,
  type Resolution,
  type ShardRecord,
  type ShardSeries,
  type WindowAggregate,
} from '@ringtail/model';

/** "No raw offset applied yet" for a raw partition. */
export const NO_WATERMARK = -1;

/** Advance of one watermark: the script applies it only if Redis still holds `expected`. */
export interface WatermarkAdvance {
  readonly rawPartition: number;
  readonly expected: number;
  readonly next: number;
}

export interface WindowDelta {
  readonly seriesId: string;
  readonly resolution: Resolution;
  readonly startMs: number;
  readonly window: WindowAggregate;
}

/** Everything one shard-topic partition contributes to a flush; applied by one script. */
export interface PartitionBatch {
  readonly shardPartition: number;
  readonly watermarks: readonly WatermarkAdvance[];
  readonly windows: readonly WindowDelta[];
  /** Series not yet indexed by this process. */
  readonly newSeries: readonly ShardSeries[];
  readonly sampleCount: number;
  /** Kafka offset of the first record in the batch: where to re-read from if the batch is fenced. */
  readonly firstKafkaOffset: string;
  /** Kafka offset to commit once the batch is durable (last record's offset + 1). */
  readonly commitKafkaOffset: string;
}

export interface FlushBatch {
  readonly partitions: readonly PartitionBatch[];
  readonly sampleCount: number;
}

export interface AddResult {
  /** Samples folded into windows. */
  readonly applied: number;
  /** Samples at or below the watermark: already applied, re-sent by a replay. */
  readonly skipped: number;
  /** Samples with a non-finite value or timestamp or an unknown series index. */
  readonly invalid: number;
}

/** Thrown by `add` for a partition whose watermarks were never loaded: a wiring bug. */
export class PartitionNotLoadedError extends Error {
  override readonly name = 'PartitionNotLoadedError' as const;
  readonly code = 'SHARD_PARTITION_NOT_LOADED' as const;
  readonly retriable = false as const;
  constructor(readonly shardPartition: number) {
    super(`watermarks of shard partition ${shardPartition} were not loaded before its records`);
  }
}

interface SeriesWindows {
  readonly series: ShardSeries;
  /** One map per resolution: window start ms → aggregate. */
  readonly byResolution: Map<number, WindowAggregate>[];
}

class PartitionState {
  /** Highest raw offset folded in, flushed or not: the skip threshold. */
  readonly seen = new Map<number, number>();
  /** Highest raw offset Redis holds (as far as this process knows): the CAS expectation. */
  readonly flushed: Map<number, number>;
  series = new Map<string, SeriesWindows>();
  newSeries = new Map<string, ShardSeries>();
  sampleCount = 0;
  firstKafkaOffset: string | null = null;
  lastKafkaOffset: string | null = null;
  /** Kafka offset after the last record added, flushed or not: where this process goes on reading. */
  nextKafkaOffset: bigint | null = null;

  constructor(watermarks: ReadonlyMap<number, number>) {
    this.flushed = new Map(watermarks);
    for (const [rp, o] of watermarks) this.seen.set(rp, o);
  }
}

export interface WindowAggregatorOptions {
  readonly resolutions: readonly Resolution[];
  /** Bound on the ids remembered as indexed; past it the memory resets and series are re-indexed (SADD is idempotent). */
  readonly maxIndexedSeries?: number;
}

const DEFAULT_MAX_INDEXED_SERIES = 1_000_000;

/**
 * Folds shard records into per-window deltas, one shard partition at a time.
 *
 * Duplicate skipping works per record: a sample is skipped when its raw offset
 * is at or below the highest raw offset of earlier records of its raw partition.
 * Several samples may share a raw offset (one raw message, many samples), so the
 * threshold moves only between records; this relies on ingest never splitting
 * one raw message's samples for one shard partition across records.
 *
 * Pure: no I/O, no clock. Not thread-safe; callers serialize `add` and `takeBatch`.
 */
export class WindowAggregator {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly indexed = new Set<string>();
  private readonly resolutions: readonly Resolution[];
  private readonly maxIndexedSeries: number;
  private pending = 0;

  constructor(opts: WindowAggregatorOptions) {
    this.resolutions = opts.resolutions;
    this.maxIndexedSeries = opts.maxIndexedSeries ?? DEFAULT_MAX_INDEXED_SERIES;
  }

  /** Samples folded in since the last `takeBatch`. */
  get pendingSamples(): number {
    return this.pending;
  }

  /** True when records were added since the last `takeBatch` (even if all were duplicates). */
  get hasPending(): boolean {
    for (const p of this.partitions.values()) if (p.lastKafkaOffset !== null) return true;
    return false;
  }

  hasPartition(shardPartition: number): boolean {
    return this.partitions.has(shardPartition);
  }

  /** Kafka offset after the last record added to `shardPartition`, or null if none was since it was loaded. */
  resumeOffset(shardPartition: number): bigint | null {
    return this.partitions.get(shardPartition)?.nextKafkaOffset ?? null;
  }

  /** Partitions loaded (being consumed by this process). */
  loadedPartitions(): number[] {
    return [...this.partitions.keys()];
  }

  /**
   * Starts a partition from what Redis holds: the watermarks (raw partition →
   * highest applied raw offset) and, when known, the Kafka offset every
   * earlier record of which they cover (`resumeOffset`).
   */
  loadPartition(shardPartition: number, watermarks: ReadonlyMap<number, number>, resumeOffset: bigint | null = null): void {
    this.dropPartition(shardPartition);
    const p = new PartitionState(watermarks);
    p.nextKafkaOffset = resumeOffset;
    this.partitions.set(shardPartition, p);
  }

  /** Forgets a partition and its unflushed deltas; its records must be re-read from Kafka. */
  dropPartition(shardPartition: number): void {
    const p = this.partitions.get(shardPartition);
    if (p) this.pending -= p.sampleCount;
    this.partitions.delete(shardPartition);
  }

  dropAll(): void {
    this.partitions.clear();
    this.pending = 0;
  }

  /** Folds one record read at `kafkaOffset` of `shardPartition`. */
  add(shardPartition: number, kafkaOffset: string, record: ShardRecord): AddResult {
    const p = this.partitions.get(shardPartition);
    if (!p) throw new PartitionNotLoadedError(shardPartition);
    p.firstKafkaOffset ??= kafkaOffset;
    p.lastKafkaOffset = kafkaOffset;
    p.nextKafkaOffset = BigInt(kafkaOffset) + 1n;
    const threshold = p.seen.get(record.rp) ?? NO_WATERMARK;
    let highest = threshold;
    let applied = 0;
    let skipped = 0;
    let invalid = 0;
    const targets: (SeriesWindows | undefined)[] = new Array(record.series.length);
    for (const [index, value, timestampMs, rawOffset, expiredMask = 0] of record.samples) {
      if (rawOffset <= threshold) {
        skipped++;
        continue;
      }
      if (!Number.isFinite(value) || !Number.isSafeInteger(timestampMs) || record.series[index] === undefined) {
        invalid++;
        continue;
      }
      let target = targets[index];
      if (target === undefined) {
        target = this.seriesWindows(p, record.series[index]!);
        targets[index] = target;
      }
      for (let r = 0; r < this.resolutions.length; r++) {
        // Ingest judged this resolution's window past retention (as of the raw record's time): writing it would only expire it at once.
        if ((expiredMask & (1 << r)) !== 0) continue;
        const start = windowStartMs(timestampMs, this.resolutions[r]!.stepMs);
        const windows = target.byResolution[r]!;
        const w = windows.get(start);
        if (w === undefined) windows.set(start, windowOfSample(value, timestampMs));
        else addSample(w, value, timestampMs);
      }
      if (rawOffset > highest) highest = rawOffset;
      applied++;
    }
    if (highest > threshold) p.seen.set(record.rp, highest);
    p.sampleCount += applied;
    this.pending += applied;
    return { applied, skipped, invalid };
  }

  /**
   * Hands over everything added since the last call, or null if nothing was.
   * The batch must then be applied (retrying as needed) before the next batch,
   * or its partitions dropped: the next batch's expected watermarks are this
   * batch's new ones.
   */
  takeBatch(): FlushBatch | null {
    const partitions: PartitionBatch[] = [];
    let sampleCount = 0;
    for (const [shardPartition, p] of this.partitions) {
      if (p.lastKafkaOffset === null || p.firstKafkaOffset === null) continue;
      partitions.push(this.partitionBatch(shardPartition, p, p.firstKafkaOffset, p.lastKafkaOffset));
      sampleCount += p.sampleCount;
      p.series = new Map();
      p.newSeries = new Map();
      p.sampleCount = 0;
      p.firstKafkaOffset = null;
      p.lastKafkaOffset = null;
    }
    this.pending = 0;
    return partitions.length === 0 ? null : { partitions, sampleCount };
  }

  /** Records that these series are in the Redis index, so later batches leave them out. */
  markIndexed(series: readonly ShardSeries[]): void {
    if (this.indexed.size + series.length > this.maxIndexedSeries) this.indexed.clear();
    for (const s of series) this.indexed.add(s.id);
  }

  private partitionBatch(shardPartition: number, p: PartitionState, first: string, last: string): PartitionBatch {
    const watermarks: WatermarkAdvance[] = [];
    for (const [rawPartition, next] of p.seen) {
      const expected = p.flushed.get(rawPartition) ?? NO_WATERMARK;
      if (next !== expected) watermarks.push({ rawPartition, expected, next });
      p.flushed.set(rawPartition, next);
    }
    const windows: WindowDelta[] = [];
    for (const [seriesId, sw] of p.series) {
      sw.byResolution.forEach((byStart, r) => {
        for (const [startMs, window] of byStart) windows.push({ seriesId, resolution: this.resolutions[r]!, startMs, window });
      });
    }
    return {
      shardPartition,
      watermarks,
      windows,
      newSeries: [...p.newSeries.values()],
      sampleCount: p.sampleCount,
      firstKafkaOffset: first,
      commitKafkaOffset: (BigInt(last) + 1n).toString(),
    };
  }

  private seriesWindows(p: PartitionState, series: ShardSeries): SeriesWindows {
    let sw = p.series.get(series.id);
    if (sw === undefined) {
      sw = { series, byResolution: this.resolutions.map(() => new Map<number, WindowAggregate>()) };
      p.series.set(series.id, sw);
      if (!this.indexed.has(series.id)) p.newSeries.set(series.id, series);
    }
    return sw;
  }
}
