import { decodeShardRecord, type ShardSeries } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { backoffDelayMs, type BackoffPolicy } from './backoff.ts';
import { FlushFencedError, isRetriable } from './errors.ts';
import type { FlushOutcome } from './flush-script.ts';
import { SerialQueue } from './serial-queue.ts';
import type { ShardMetrics } from './shard-metrics.ts';
import type { PartitionBatch, WindowAggregator } from './window-aggregator.ts';

/** Where flushed windows go; Redis in production, an in-memory fake in tests. */
export interface WindowSink {
  /** Raw partition → highest raw offset applied, for one shard-topic partition. */
  readWatermarks(shardTopic: string, shardPartition: number): Promise<Map<number, number>>;
  /** Applies one partition batch atomically; throws FlushFencedError if a watermark was moved by someone else. */
  apply(shardTopic: string, batch: PartitionBatch): Promise<FlushOutcome>;
  /** Resolves once replicas hold every write made so far; throws a retriable error otherwise. */
  awaitReplicas(): Promise<void>;
}

/** The consumer-side operations the worker needs from Kafka. */
export interface ShardConsumerPort {
  commit(shardTopic: string, offsets: readonly { partition: number; offset: string }[]): Promise<void>;
  /** Re-reads a partition from `offset` (after a fenced flush dropped its deltas). */
  seek(shardTopic: string, partition: number, offset: string): void;
}

export interface ConsumedMessage {
  readonly offset: string;
  readonly value: Buffer | null;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the batch is stale (rebalance, seek) or the consumer stops. */
  isActive(): boolean;
}

export interface ShardWorkerOptions {
  readonly shardTopic: string;
  readonly aggregator: WindowAggregator;
  readonly sink: WindowSink;
  readonly consumer: ShardConsumerPort;
  readonly metrics: ShardMetrics;
  readonly log: Logger;
  readonly flushMaxSamples: number;
  readonly retry: BackoffPolicy;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

// kafkajs has no background heartbeat: a long batch heartbeats itself (a no-op unless one is due).
const HEARTBEAT_EVERY_MESSAGES = 500;

/**
 * Consumes one shard topic: folds records into the aggregator, flushes batches
 * to the sink and commits Kafka offsets only after a flush and WAIT succeeded.
 * Everything runs through one serial queue, so at most one flush is in flight.
 */
export class ShardWorker {
  private readonly queue = new SerialQueue();
  private stopping = false;

  constructor(private readonly o: ShardWorkerOptions) {}

  /** Folds one fetched batch of `partition`; flushes whenever FLUSH_MAX_SAMPLES is reached. */
  handleBatch(partition: number, messages: readonly ConsumedMessage[], control: BatchControl): Promise<void> {
    return this.queue.run(async () => {
      if (this.stopping) return;
      const { aggregator, metrics, shardTopic } = this.o;
      if (!aggregator.hasPartition(partition)) {
        const watermarks = await this.retrying('read watermarks', () => this.o.sink.readWatermarks(shardTopic, partition));
        aggregator.loadPartition(partition, watermarks);
      }
      let undecodable = 0;
      for (let i = 0; i < messages.length; i++) {
        // A fenced flush drops the partition and seeks back: the rest of this batch is stale.
        if (!control.isActive() || this.stopping || !aggregator.hasPartition(partition)) break;
        const m = messages[i]!;
        let record;
        try {
          record = decodeShardRecord(m.value ?? Buffer.alloc(0));
        } catch (err) {
          if (undecodable++ === 0) this.o.log.error({ err, shardTopic, partition, offset: m.offset }, 'undecodable shard record skipped');
          metrics.recordsUndecodable.inc();
          continue;
        }
        const r = aggregator.add(partition, m.offset, record);
        if (r.applied > 0) metrics.samplesApplied.inc(r.applied);
        if (r.skipped > 0) metrics.samplesSkipped.inc(r.skipped);
        if (r.invalid > 0) metrics.samplesInvalid.inc(r.invalid);
        if (aggregator.pendingSamples >= this.o.flushMaxSamples) await this.flushNow();
        if (i % HEARTBEAT_EVERY_MESSAGES === HEARTBEAT_EVERY_MESSAGES - 1) await control.heartbeat();
      }
      metrics.pendingSamples.set(aggregator.pendingSamples);
    });
  }

  /** Flushes whatever is pending (the FLUSH_INTERVAL_MS timer and shutdown call this). */
  flush(): Promise<void> {
    return this.queue.run(() => this.flushNow());
  }

  /**
   * After a rebalance: drop every unflushed delta and loaded watermark.
   *
   * kafkajs revokes all partitions on every rebalance and offers no hook that
   * runs before they move, so "flush before giving them up" cannot be made
   * reliable. Dropping is always correct: nothing dropped was committed, so
   * whoever owns a partition next re-reads it from the last commit, and the
   * Redis watermarks (reloaded lazily on the next batch) skip what was applied.
   */
  resetAssignment(): Promise<void> {
    return this.queue.run(async () => {
      this.o.aggregator.dropAll();
      this.o.metrics.pendingSamples.set(0);
    });
  }

  /** Stops taking new records; pending ones are still flushed by `flush()`. */
  beginStop(): void {
    this.stopping = true;
  }

  private async flushNow(): Promise<void> {
    const batch = this.o.aggregator.takeBatch();
    if (batch === null) return;
    const startedMs = this.o.nowMs();
    const durable = await this.retrying('flush', () => this.applyAndReplicate(batch.partitions));
    const offsets = durable.map((b) => ({ partition: b.shardPartition, offset: b.commitKafkaOffset }));
    try {
      if (offsets.length > 0) await this.o.consumer.commit(this.o.shardTopic, offsets);
    } catch (err) {
      // Harmless: the windows are durable and the watermarks skip the re-read records.
      this.o.log.warn({ err, shardTopic: this.o.shardTopic, offsets }, 'offset commit failed after a durable flush');
    }
    const indexed: ShardSeries[] = [];
    let samples = 0;
    for (const b of durable) {
      indexed.push(...b.newSeries);
      samples += b.sampleCount;
    }
    this.o.aggregator.markIndexed(indexed);
    this.o.metrics.samplesFlushed.inc(samples);
    this.o.metrics.flushDurationMs.observe(this.o.nowMs() - startedMs);
    this.o.metrics.pendingSamples.set(this.o.aggregator.pendingSamples);
  }

  /**
   * Applies every partition batch, then WAITs. Retried as a whole: after a
   * failover the new primary may lack a script the old one ran, and re-running
   * it is harmless (the watermark CAS answers "already applied" where it landed).
   * Returns the batches whose offsets may be committed.
   */
  private async applyAndReplicate(batches: readonly PartitionBatch[]): Promise<PartitionBatch[]> {
    const durable: PartitionBatch[] = [];
    let wrote = false;
    for (const b of batches) {
      if (b.watermarks.length === 0) {
        // Only duplicates (or nothing valid): no state to write, the offsets may move on.
        durable.push(b);
        continue;
      }
      try {
        await this.o.sink.apply(this.o.shardTopic, b);
        wrote = true;
        durable.push(b);
      } catch (err) {
        if (!(err instanceof FlushFencedError)) throw err;
        this.o.log.error({ err, shardPartition: b.shardPartition, fromOffset: b.firstKafkaOffset }, 'flush fenced, re-reading partition');
        this.o.metrics.flushesFenced.inc();
        this.o.aggregator.dropPartition(b.shardPartition);
        this.o.consumer.seek(this.o.shardTopic, b.shardPartition, b.firstKafkaOffset);
      }
    }
    if (wrote) await this.o.sink.awaitReplicas();
    return durable;
  }

  /** Runs `op` until it succeeds or fails with a non-retriable error; never gives up on transient faults. */
  private async retrying<T>(operation: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isRetriable(err)) throw err;
        const code = (err as { code?: unknown }).code;
        this.o.metrics.flushFailures.inc(1, { code: typeof code === 'string' ? code : 'UNKNOWN' });
        const delayMs = backoffDelayMs(this.o.retry, attempt, this.o.random());
        this.o.log.warn({ err, operation, attempt, delayMs }, 'redis operation failed, retrying');
        await this.o.sleep(delayMs);
      }
    }
  }
}
