import {
  addSample,
  windowHeldUntilMs,
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

/** What a batch's samples were judged by: windows of `resolution` starting before `startMs` are closed (null: none is). */
export interface ClosedThrough {
  readonly resolution: string;
  readonly startMs: number | null;
}

/**
 * A sample whose window is closed in every resolution it was meant for: it
 * goes to the DLQ (TIMESTAMP_TOO_OLD) before the batch that covers its raw
 * offset is applied, never silently away.
 */
export interface LateSample {
  readonly rawPartition: number;
  readonly rawOffset: number;
  readonly series: ShardSeries;
  readonly value: number;
  readonly timestampMs: number;
  readonly reason: string;
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
  /** Series this process has not indexed yet, or indexed to expire before these windows do. */
  readonly newSeries: readonly IndexedSeries[];
  readonly sampleCount: number;
  /** Kafka offset of the first record in the batch: where to re-read from if the batch is fenced. */
  readonly firstKafkaOffset: string;
  /** Kafka offset to commit once the batch is durable (last record's offset + 1). */
  readonly commitKafkaOffset: string;
  /** One per resolution: the closed-through the samples were judged by; the script refuses the batch if Redis holds another. */
  readonly closedThrough: readonly ClosedThrough[];
  /** Highest raw record time (ms) of the batch's records, when they carried one: advances the slot clock. */
  readonly clockMs?: number;
  /** Samples to write to the DLQ before this batch is applied. */
  readonly late: readonly LateSample[];
}

/** A series and how long its index entries must last: until its latest window's block expires (windowHeldUntilMs). */
export interface IndexedSeries extends ShardSeries {
  readonly indexedUntilMs: number;
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
  /** Samples whose window was closed in every resolution left to them: bound for the DLQ. */
  readonly late: number;
  /** Per resolution index: samples not written to it because its window was closed. */
  readonly closed: readonly number[];
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
  sampleCount = 0;
  firstKafkaOffset: string | null = null;
  lastKafkaOffset: string | null = null;
  /** Kafka offset after the last record added, flushed or not: where this process goes on reading. */
  nextKafkaOffset: bigint | null = null;
  /** Per resolution index: windows starting before it are closed (-Infinity: none). */
  readonly closedThrough: number[];
  /** Highest raw record time of the records added since the last batch; -1: none. */
  clockMs = -1;
  late: LateSample[] = [];

  constructor(watermarks: ReadonlyMap<number, number>, closedThrough: number[]) {
    this.flushed = new Map(watermarks);
    for (const [rp, o] of watermarks) this.seen.set(rp, o);
    this.closedThrough = closedThrough;
  }
}

export interface WindowAggregatorOptions {
  readonly resolutions: readonly Resolution[];
  /** Bound on the ids remembered as indexed; past it the memory resets and series are re-indexed (the index writes are idempotent). */
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
  /** Series id → when the index entries this process wrote for it expire (epoch ms). */
  private readonly indexed = new Map<string, number>();
  private readonly resolutions: readonly Resolution[];
  private readonly maxIndexedSeries: number;
  private pending = 0;
  /** Step of each resolution, and the window start of the sample being folded (scratch, per resolution). */
  private readonly steps: Float64Array;
  private readonly starts: Float64Array;

  constructor(opts: WindowAggregatorOptions) {
    this.resolutions = opts.resolutions;
    this.steps = Float64Array.from(opts.resolutions, (r) => r.stepMs);
    this.starts = new Float64Array(opts.resolutions.length);
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

  /** Name of the resolution at `index` (as in AddResult.closed). */
  resolutionName(index: number): string {
    return this.resolutions[index]!.name;
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
  loadPartition(
    shardPartition: number,
    watermarks: ReadonlyMap<number, number>,
    resumeOffset: bigint | null = null,
    closedThrough: ReadonlyMap<string, number> = new Map(),
  ): void {
    this.dropPartition(shardPartition);
    const p = new PartitionState(
      watermarks,
      this.resolutions.map((r) => closedThrough.get(r.name) ?? -Infinity),
    );
    p.nextKafkaOffset = resumeOffset;
    this.partitions.set(shardPartition, p);
  }

  /**
   * After compaction closed more windows of `shardPartition`: later samples of
   * those windows are judged late. Closed-through only moves forward.
   * @throws PartitionNotLoadedError
   */
  closeThrough(shardPartition: number, closedThrough: ReadonlyMap<string, number>): void {
    const p = this.partitions.get(shardPartition);
    if (!p) throw new PartitionNotLoadedError(shardPartition);
    this.resolutions.forEach((r, i) => {
      const ct = closedThrough.get(r.name);
      if (ct !== undefined && ct > p.closedThrough[i]!) p.closedThrough[i] = ct;
    });
  }

  /** The closed-through of each resolution of `shardPartition` (absent: none closed). */
  closedThrough(shardPartition: number): Map<string, number> {
    const p = this.partitions.get(shardPartition);
    const out = new Map<string, number>();
    this.resolutions.forEach((r, i) => {
      const ct = p?.closedThrough[i] ?? -Infinity;
      if (ct !== -Infinity) out.set(r.name, ct);
    });
    return out;
  }

  /**
   * Per resolution name, the earliest window start `shardPartition` holds
   * unflushed deltas for: compaction must not close it, or the next flush
   * would write a closed window.
   */
  oldestPendingStarts(shardPartition: number): Map<string, number> {
    const out = new Map<string, number>();
    const p = this.partitions.get(shardPartition);
    if (!p) return out;
    for (const sw of p.series.values()) {
      sw.byResolution.forEach((byStart, r) => {
        const name = this.resolutions[r]!.name;
        for (const start of byStart.keys()) if (start < (out.get(name) ?? Infinity)) out.set(name, start);
      });
    }
    return out;
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
    if (record.rt !== undefined && Number.isSafeInteger(record.rt) && record.rt > p.clockMs) p.clockMs = record.rt;
    const threshold = p.seen.get(record.rp) ?? NO_WATERMARK;
    let highest = threshold;
    let applied = 0;
    let skipped = 0;
    let invalid = 0;
    let late = 0;
    const closed = this.resolutions.map(() => 0);
    const targets: (SeriesWindows | undefined)[] = new Array(record.series.length);
    const resolutionCount = this.resolutions.length;
    const allRefused = 2 ** resolutionCount - 1;
    const steps = this.steps;
    const starts = this.starts;
    for (const [index, value, timestampMs, rawOffset, expiredMask = 0] of record.samples) {
      if (rawOffset <= threshold) {
        skipped++;
        continue;
      }
      if (!Number.isFinite(value) || !Number.isSafeInteger(timestampMs) || record.series[index] === undefined) {
        invalid++;
        continue;
      }
      if (rawOffset > highest) highest = rawOffset;
      let refused = expiredMask;
      for (let r = 0; r < resolutionCount; r++) {
        if ((refused & (1 << r)) !== 0) continue;
        const start = windowStartMs(timestampMs, steps[r]!);
        starts[r] = start;
        if (start < p.closedThrough[r]!) {
          refused |= 1 << r;
          closed[r]! += 1;
        }
      }
      if (refused === allRefused) {
        p.late.push({ rawPartition: record.rp, rawOffset, series: record.series[index]!, value, timestampMs, reason: lateReason(this.resolutions, p.closedThrough) });
        late++;
        continue;
      }
      let target = targets[index];
      if (target === undefined) {
        target = this.seriesWindows(p, record.series[index]!);
        targets[index] = target;
      }
      for (let r = 0; r < resolutionCount; r++) {
        // Ingest judged this resolution's window closed (as of the raw record's time), or compaction closed it since.
        if ((refused & (1 << r)) !== 0) continue;
        const start = starts[r]!;
        const windows = target.byResolution[r]!;
        const w = windows.get(start);
        if (w === undefined) windows.set(start, windowOfSample(value, timestampMs));
        else addSample(w, value, timestampMs);
      }
      applied++;
    }
    if (highest > threshold) p.seen.set(record.rp, highest);
    p.sampleCount += applied;
    this.pending += applied;
    return { applied, skipped, invalid, late, closed };
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
      p.sampleCount = 0;
      p.firstKafkaOffset = null;
      p.lastKafkaOffset = null;
      p.clockMs = -1;
      p.late = [];
    }
    this.pending = 0;
    return partitions.length === 0 ? null : { partitions, sampleCount };
  }

  /** Records that these series are in the Redis index until their `indexedUntilMs`, so later batches leave them out until they need longer. */
  markIndexed(series: readonly IndexedSeries[]): void {
    if (this.indexed.size + series.length > this.maxIndexedSeries) this.indexed.clear();
    for (const s of series) this.indexed.set(s.id, Math.max(s.indexedUntilMs, this.indexed.get(s.id) ?? -Infinity));
  }

  private partitionBatch(shardPartition: number, p: PartitionState, first: string, last: string): PartitionBatch {
    const watermarks: WatermarkAdvance[] = [];
    for (const [rawPartition, next] of p.seen) {
      const expected = p.flushed.get(rawPartition) ?? NO_WATERMARK;
      if (next !== expected) watermarks.push({ rawPartition, expected, next });
      p.flushed.set(rawPartition, next);
    }
    const windows: WindowDelta[] = [];
    const newSeries: IndexedSeries[] = [];
    for (const [seriesId, sw] of p.series) {
      let indexedUntilMs = -Infinity;
      sw.byResolution.forEach((byStart, r) => {
        const resolution = this.resolutions[r]!;
        for (const [startMs, window] of byStart) {
          windows.push({ seriesId, resolution, startMs, window });
          indexedUntilMs = Math.max(indexedUntilMs, windowHeldUntilMs(startMs, resolution));
        }
      });
      if (indexedUntilMs > (this.indexed.get(seriesId) ?? -Infinity)) newSeries.push({ ...sw.series, indexedUntilMs });
    }
    return {
      shardPartition,
      watermarks,
      windows,
      newSeries,
      sampleCount: p.sampleCount,
      firstKafkaOffset: first,
      commitKafkaOffset: (BigInt(last) + 1n).toString(),
      closedThrough: this.resolutions.map((r, i) => ({ resolution: r.name, startMs: p.closedThrough[i] === -Infinity ? null : p.closedThrough[i]! })),
      ...(p.clockMs >= 0 ? { clockMs: p.clockMs } : {}),
      late: p.late,
    };
  }

  private seriesWindows(p: PartitionState, series: ShardSeries): SeriesWindows {
    let sw = p.series.get(series.id);
    if (sw === undefined) {
      sw = { series, byResolution: this.resolutions.map(() => new Map<number, WindowAggregate>()) };
      p.series.set(series.id, sw);
    }
    return sw;
  }
}

function lateReason(resolutions: readonly Resolution[], closedThrough: readonly number[]): string {
  const closed = resolutions.map((r, i) => `${r.name} before ${closedThrough[i]}`).join(', ');
  return `timestamp: its window is closed in every resolution (compacted: ${closed}; MAX_SAMPLE_LATENESS)`;
}
