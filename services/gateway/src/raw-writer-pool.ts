import type { Kafka } from 'kafkajs';
import type { TopicNames } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { OverloadedError } from './errors.ts';
import { RawWriter, type RawWriterOptions, type WriteJob } from './raw-writer.ts';

export interface RawWriterPoolOptions extends Omit<RawWriterOptions, 'partitions'> {
  readonly rawPartitions: number;
  /** Producers, each with one request in flight and its own share of the partitions. */
  readonly producers: number;
  readonly maxPendingSamples: number;
}

/**
 * Several `RawWriter`s over disjoint sets of raw partitions, so that more than
 * one produce request is in flight while each producer keeps kafkajs'
 * idempotent one-at-a-time order. A job goes to the writer with the fewest
 * samples waiting. Enforces GATEWAY_MAX_PENDING_SAMPLES over all of them.
 */
export class RawWriterPool {
  private readonly writers: RawWriter[];
  private readonly maxPendingSamples: number;
  private readonly retryAfterS: number;

  constructor(kafka: Kafka, topics: TopicNames, opts: RawWriterPoolOptions, log: Logger) {
    const lanes = Math.max(1, Math.min(opts.producers, opts.rawPartitions));
    this.writers = Array.from({ length: lanes }, (_, lane) => {
      const partitions = Array.from({ length: opts.rawPartitions }, (_, p) => p).filter((p) => p % lanes === lane);
      return new RawWriter(kafka, topics, { ...opts, partitions }, log.child({ producer: lane }));
    });
    this.maxPendingSamples = opts.maxPendingSamples;
    this.retryAfterS = opts.retryAfterS;
  }

  async connect(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.connect()));
  }

  get pending(): number {
    return this.writers.reduce((n, w) => n + w.pending, 0);
  }

  /** False while any producer is backing off after a failed send. */
  get available(): boolean {
    return this.writers.every((w) => w.available);
  }

  /**
   * Resolves once Kafka acknowledged every message of `job`.
   * @throws OverloadedError at once when the job would take the pending samples over the limit
   * @throws KafkaUnavailableError when the send failed
   */
  write(job: WriteJob): Promise<void> {
    const pending = this.pending;
    if (pending > 0 && pending + job.samples > this.maxPendingSamples) {
      return Promise.reject(new OverloadedError(`${pending} samples wait for Kafka, over GATEWAY_MAX_PENDING_SAMPLES=${this.maxPendingSamples}`, this.retryAfterS));
    }
    let best = this.writers[0]!;
    for (const w of this.writers) if (w.pending < best.pending) best = w;
    return best.write(job);
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.disconnect()));
  }
}
