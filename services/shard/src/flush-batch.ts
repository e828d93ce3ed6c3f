import type { Resolution, ShardSeries, WindowAggregate } from '@ringtail/model';
import type { WatermarkAdvance } from './watermarks.ts';

/** What the aggregator hands a flush: per slot, its window deltas, watermark advances and offsets. */

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
  /**
   * Kafka offset of the first record whose samples are not yet applied in every
   * resolution (coarse ones may lag): where to re-read from if the batch is fenced.
   */
  readonly firstKafkaOffset: string;
  /**
   * Kafka offset to commit once the batch is durable: after the last record applied in every
   * resolution. A batch without the coarse resolutions repeats the previous one's.
   */
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
