import { addSample, windowOfSample, windowStartMs, type Resolution, type ShardRecord } from '@ringtail/model';
import type { FlushBatch, IndexedSeries, PartitionBatch } from './flush-batch.ts';
import { PartitionState, type SeriesWindows } from './partition-state.ts';
import { NO_WATERMARK } from './watermarks.ts';

export interface AddResult {
  /** Samples folded into windows for the first time (new to the finest resolution's watermark). */
  readonly applied: number;
  /** Samples at or below both watermarks: already applied, re-sent by a replay. */
  readonly skipped: number;
  /**
   * Samples the finest resolution already held, folded into the coarse ones only: a slot
   * re-read (after a reload) from before their watermark, which lags the finest's.
   */
  readonly coarseCatchUp: number;
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

export interface WindowAggregatorOptions {
  readonly resolutions: readonly Resolution[];
  /** Bound on the ids remembered as indexed; past it the memory resets and series are re-indexed (the index writes are idempotent). */
  readonly maxIndexedSeries?: number;
  /**
   * How often (ms) a partition's batch carries its coarse resolutions (every one but the finest);
   * between, batches carry only the finest. 0 or absent: every batch carries every resolution.
   */
  readonly coarseFlushIntervalMs?: number;
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
 * Two classes of resolutions, each with its own watermarks: the finest, which
 * every batch carries, and the coarse ones, which a partition's batch carries
 * once per `coarseFlushIntervalMs` (so a flush writes about one window per
 * series, not one per resolution). Each class skips by its own watermarks, and
 * the Kafka offset a batch commits (and a new owner resumes from) is after the
 * last record applied in both; a record re-read past the finest's watermark is
 * folded into the coarse resolutions only.
 *
 * Pure: no I/O; the clock is the caller's (`takeBatch`'s `nowMs`). Not
 * thread-safe; callers serialize `add` and `takeBatch`.
 */
export class WindowAggregator {
  private readonly partitions = new Map<number, PartitionState>();
  /** Series id → when the index entries this process wrote for it expire (epoch ms). */
  private readonly indexed = new Map<string, number>();
  private readonly resolutions: readonly Resolution[];
  private readonly maxIndexedSeries: number;
  private pending = 0;
  private coarsePending = 0;
  private readonly coarseIntervalMs: number;
  /** Step of each resolution, and the window start of the sample being folded (scratch, per resolution). */
  private readonly steps: Float64Array;
  private readonly starts: Float64Array;

  constructor(opts: WindowAggregatorOptions) {
    this.resolutions = opts.resolutions;
    this.steps = Float64Array.from(opts.resolutions, (r) => r.stepMs);
    this.starts = new Float64Array(opts.resolutions.length);
    this.maxIndexedSeries = opts.maxIndexedSeries ?? DEFAULT_MAX_INDEXED_SERIES;
    this.coarseIntervalMs = opts.coarseFlushIntervalMs ?? 0;
  }

  /**
   * The most samples one unflushed window delta may hold: samples folded into the finest
   * resolution since the last `takeBatch`, or into a coarse one since the last batch that
   * carried it, whichever is more. FLUSH_MAX_SAMPLES bounds it.
   */
  get pendingSamples(): number {
    return Math.max(this.pending, this.coarsePending);
  }

  /** True when records were added since the last `takeBatch` (even if all were duplicates). */
  get hasPending(): boolean {
    for (const p of this.partitions.values()) if (p.lastKafkaOffset !== null) return true;
    return false;
  }

  /** True while some coarse resolution holds records no batch carried yet. */
  get hasCoarsePending(): boolean {
    for (const p of this.partitions.values()) if (p.coarseFirstKafkaOffset !== null) return true;
    return false;
  }

  /** True when a batch taken at `nowMs` would carry some partition's coarse resolutions. */
  coarseDue(nowMs: number): boolean {
    for (const [shardPartition, p] of this.partitions) if (p.coarseFirstKafkaOffset !== null && this.coarseDueFor(shardPartition, p, nowMs)) return true;
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
   * highest applied raw offset) of the finest resolution and of the coarse
   * ones (by default the same), and, when known, the Kafka offset every
   * earlier record of which both cover (`resumeOffset`).
   */
  loadPartition(
    shardPartition: number,
    watermarks: ReadonlyMap<number, number>,
    resumeOffset: bigint | null = null,
    closedThrough: ReadonlyMap<string, number> = new Map(),
    coarseWatermarks: ReadonlyMap<number, number> = watermarks,
  ): void {
    this.dropPartition(shardPartition);
    const p = new PartitionState(
      watermarks,
      coarseWatermarks,
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
    if (p) {
      this.pending -= p.sampleCount;
      this.coarsePending -= p.coarseSampleCount;
    }
    this.partitions.delete(shardPartition);
  }

  dropAll(): void {
    this.partitions.clear();
    this.pending = 0;
    this.coarsePending = 0;
  }

  /** Folds one record read at `kafkaOffset` of `shardPartition`. */
  add(shardPartition: number, kafkaOffset: string, record: ShardRecord): AddResult {
    const p = this.partitions.get(shardPartition);
    if (!p) throw new PartitionNotLoadedError(shardPartition);
    p.coarseFirstKafkaOffset ??= kafkaOffset;
    p.lastKafkaOffset = kafkaOffset;
    p.nextKafkaOffset = BigInt(kafkaOffset) + 1n;
    if (record.rt !== undefined && Number.isSafeInteger(record.rt) && record.rt > p.clockMs) p.clockMs = record.rt;
    const fineThreshold = p.fine.seen.get(record.rp) ?? NO_WATERMARK;
    const coarseThreshold = p.coarse.seen.get(record.rp) ?? NO_WATERMARK;
    let fineHighest = fineThreshold;
    let coarseHighest = coarseThreshold;
    let fineApplied = 0;
    let coarseApplied = 0;
    let applied = 0;
    let coarseCatchUp = 0;
    let skipped = 0;
    let invalid = 0;
    let late = 0;
    const closed = this.resolutions.map(() => 0);
    const targets: (SeriesWindows | undefined)[] = new Array(record.series.length);
    const resolutionCount = this.resolutions.length;
    const allRefused = 2 ** resolutionCount - 1;
    const coarseMask = allRefused & ~FINE_MASK;
    const steps = this.steps;
    const starts = this.starts;
    for (const [index, value, timestampMs, rawOffset, expiredMask = 0] of record.samples) {
      const fineDone = rawOffset <= fineThreshold;
      const coarseDone = rawOffset <= coarseThreshold;
      if (fineDone && coarseDone) {
        skipped++;
        continue;
      }
      if (!Number.isFinite(value) || !Number.isSafeInteger(timestampMs) || record.series[index] === undefined) {
        invalid++;
        continue;
      }
      if (!fineDone && rawOffset > fineHighest) fineHighest = rawOffset;
      if (!coarseDone && rawOffset > coarseHighest) coarseHighest = rawOffset;
      // Resolutions that already hold this sample (a re-read after the finest's watermark moved past it).
      const done = (fineDone ? FINE_MASK : 0) | (coarseDone ? coarseMask : 0);
      let refused = expiredMask | done;
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
        if (done !== 0) {
          // One class holds it, the other's windows are closed: nothing is lost (`closed` counts the refusal).
          if (fineDone) coarseCatchUp++;
          else applied++;
          continue;
        }
        p.late.push({ rawPartition: record.rp, rawOffset, series: record.series[index]!, value, timestampMs, reason: lateReason(this.resolutions, p.closedThrough) });
        late++;
        continue;
      }
      let target = targets[index];
      if (target === undefined) {
        target = p.windowsOf(record.series[index]!, resolutionCount);
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
      if ((refused & FINE_MASK) === 0) fineApplied++;
      if ((refused & coarseMask) !== coarseMask) coarseApplied++;
      // Each sample counts as applied once: a re-read the finest skipped only catches the coarse ones up.
      if (fineDone) coarseCatchUp++;
      else applied++;
    }
    if (fineHighest > fineThreshold) p.fine.seen.set(record.rp, fineHighest);
    if (coarseHighest > coarseThreshold) p.coarse.seen.set(record.rp, coarseHighest);
    p.sampleCount += fineApplied;
    p.coarseSampleCount += coarseApplied;
    this.pending += fineApplied;
    this.coarsePending += coarseApplied;
    return { applied, skipped, coarseCatchUp, invalid, late, closed };
  }

  /**
   * Hands over the finest resolution's deltas added since the last call, and
   * the coarse resolutions' of every partition whose coarse flush is due at
   * `nowMs` (or of all, with `all`), or null if there is nothing. The batch
   * must then be applied (retrying as needed) before the next batch, or its
   * partitions dropped: the next batch's expected watermarks are this batch's
   * new ones.
   */
  takeBatch(nowMs = 0, all = false): FlushBatch | null {
    const partitions: PartitionBatch[] = [];
    let sampleCount = 0;
    for (const [shardPartition, p] of this.partitions) {
      // A partition's first batch always carries them: it sets the offset later batches commit.
      const coarse = p.coarseFirstKafkaOffset !== null && (all || p.coveredKafkaOffset === null || this.coarseDueFor(shardPartition, p, nowMs));
      if (p.lastKafkaOffset === null && !coarse) continue;
      partitions.push(p.toBatch(shardPartition, coarse, this.resolutions, this.indexed));
      sampleCount += p.sampleCount;
      p.sampleCount = 0;
      p.lastKafkaOffset = null;
      p.clockMs = -1;
      p.late = [];
      if (coarse) {
        p.series = new Map();
        this.coarsePending -= p.coarseSampleCount;
        p.coarseSampleCount = 0;
        p.coarseFirstKafkaOffset = null;
        p.coarseEpoch = this.coarseEpoch(shardPartition, nowMs);
      } else {
        for (const sw of p.series.values()) sw.byResolution[0] = new Map();
      }
    }
    this.pending = 0;
    return partitions.length === 0 ? null : { partitions, sampleCount };
  }

  /** Records that these series are in the Redis index until their `indexedUntilMs`, so later batches leave them out until they need longer. */
  markIndexed(series: readonly IndexedSeries[]): void {
    if (this.indexed.size + series.length > this.maxIndexedSeries) this.indexed.clear();
    for (const s of series) this.indexed.set(s.id, Math.max(s.indexedUntilMs, this.indexed.get(s.id) ?? -Infinity));
  }

  /**
   * The coarse resolutions' flushes of one partition come once per period of
   * `coarseFlushIntervalMs`, each partition at its own phase (golden-ratio
   * spaced), so a worker's flushes carry the coarse windows of a few slots
   * each rather than of every slot at once.
   */
  private coarseEpoch(shardPartition: number, nowMs: number): number {
    const interval = this.coarseIntervalMs;
    if (interval <= 0) return 0;
    const phase = ((shardPartition * GOLDEN_RATIO_CONJUGATE) % 1) * interval;
    return Math.floor((nowMs + phase) / interval);
  }

  private coarseDueFor(shardPartition: number, p: PartitionState, nowMs: number): boolean {
    return this.coarseIntervalMs <= 0 || this.coarseEpoch(shardPartition, nowMs) > p.coarseEpoch;
  }
}

/** Bit of the finest resolution in a resolution mask; every other bit is a coarse resolution's. */
const FINE_MASK = 1;
const GOLDEN_RATIO_CONJUGATE = 0.6180339887498949;

function lateReason(resolutions: readonly Resolution[], closedThrough: readonly number[]): string {
  const closed = resolutions.map((r, i) => `${r.name} before ${closedThrough[i]}`).join(', ');
  return `timestamp: its window is closed in every resolution (compacted: ${closed}; MAX_SAMPLE_LATENESS)`;
}
