import type { LateSample, PartitionBatch } from './flush-batch.ts';
import type { FlushOutcome } from './flush-script.ts';

/**
 * The ports a shard worker writes through: Redis for windows, watermarks and
 * compaction, Kafka for late samples, corrupt records and offsets. Adapters
 * implement them (redis-window-sink.ts, window-compactor.ts,
 * late-sample-sink.ts, kafka-shard-consumer.ts); tests use in-memory fakes.
 */

/** What Redis holds of one slot's progress. */
export interface StoredSlot {
  /** Raw partition → highest raw offset applied in the finest resolution. */
  readonly watermarks: Map<number, number>;
  /** Raw partition → highest raw offset applied in the coarse resolutions (absent: `watermarks`). */
  readonly coarseWatermarks?: Map<number, number>;
  /**
   * Shard-topic offset after the last record both watermarks cover, or null
   * before the slot's first flush. Every earlier record is applied or a
   * duplicate, so a new owner starts here rather than at the (older) Kafka commit.
   */
  readonly resumeOffset: string | null;
  /** Resolution name → closed-through: windows starting before it are closed (absent: none). */
  readonly closedThrough?: ReadonlyMap<string, number>;
}

/** Where flushed windows go; Redis in production, an in-memory fake in tests. */
export interface WindowSink {
  /** The progress Redis holds for one slot (shard-topic partition). */
  readSlot(slot: number): Promise<StoredSlot>;
  /**
   * Applies one slot's batch atomically; throws FlushFencedError if a watermark holds neither
   * `expected` nor `next` (moved by someone else, or a write lost in a failover).
   */
  apply(batch: PartitionBatch): Promise<FlushOutcome>;
  /** Resolves once replicas hold every write this connection made so far; throws a retriable error otherwise. */
  awaitReplicas(): Promise<void>;
  /** Drops what the sink keeps about a slot this worker no longer owns. */
  forgetSlot?(slot: number): void;
}

/** Where samples whose windows are closed go: the DLQ. */
export interface LateSampleSink {
  /** Resolves once every sample is durably recorded (Kafka acks -1); throws a retriable error otherwise. */
  reject(samples: readonly LateSample[]): Promise<void>;
}

/** A shard-topic record that does not decode. */
export interface CorruptRecord {
  readonly shardTopic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: Buffer;
  readonly reason: string;
}

/** Where undecodable shard records go: the DLQ. */
export interface CorruptRecordSink {
  /** Resolves once the record is durably recorded (Kafka acks -1); throws a retriable error otherwise. */
  reject(record: CorruptRecord): Promise<void>;
}

export interface CompactionResult {
  /** Hot windows moved into blocks. */
  readonly windows: number;
  /** Blocks written. */
  readonly blocks: number;
  /** Blocks skipped because another writer changed them meanwhile (their windows stay hot until the next pass). */
  readonly moved: number;
  /** Blocks left alone because their stored bytes do not decode, with the reason. */
  readonly corrupt: readonly string[];
}

/** Compaction of one slot's closed windows into blocks (Redis in production). */
export interface WindowCompactor {
  /**
   * Advances the slot's closed-through from its clock, never past `caps`
   * (resolution → earliest window start still unflushed here), and returns the
   * closed-through of every resolution that has one. Idempotent.
   */
  close(slot: number, caps: ReadonlyMap<string, number>): Promise<Map<string, number>>;
  /** Moves hot windows starting before `closedThrough` into their blocks. Idempotent; safe beside another compactor. */
  move(slot: number, closedThrough: ReadonlyMap<string, number>): Promise<CompactionResult>;
}

/** The consumer-side operations the worker needs from Kafka. */
export interface ShardConsumerPort {
  commit(shardTopic: string, offsets: readonly { partition: number; offset: string }[]): Promise<void>;
  /** Re-reads a partition from `offset` (after a fenced flush dropped its deltas). */
  seek(shardTopic: string, partition: number, offset: string): void;
}
