import type { Kafka, Message, Producer } from 'kafkajs';
import type { TopicNames } from '@ringtail/model';
import { connectIdempotentProducer, type Logger } from '@ringtail/runtime';
import type { RawMessage } from './domain/request-samples.ts';
import { KafkaUnavailableError } from './errors.ts';

/** What one request hands the writer: its raw messages and its DLQ records. */
export interface WriteJob {
  readonly messages: readonly RawMessage[];
  readonly dlq: readonly Message[];
  readonly samples: number;
}

export interface RawWriterOptions {
  /** The raw-topic partitions this writer produces to (a subset when several writers share the topic). */
  readonly partitions: readonly number[];
  readonly dlqPartitions: number;
  /** Bytes per partition in one produce request: one record batch, appended all or nothing. */
  readonly maxBatchBytes: number;
  /** Broker-side acknowledgement timeout of one produce request. */
  readonly timeoutMs: number;
  readonly retryAfterS: number;
  /** Milliseconds on a monotonic clock. */
  readonly now: () => number;
}

interface Queued {
  readonly job: WriteJob;
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Produces requests' samples to its partitions of the raw topic through one idempotent producer
 * (acks=-1), one produce request at a time; each request takes every job
 * waiting at that moment, so many small HTTP requests cost few Kafka round
 * trips. A job's messages all go to one partition in one request, which Kafka
 * appends as one record batch — all of the job or none of it — unless the job
 * alone is over `maxBatchBytes`, when it is spread over several partitions.
 *
 * A job resolves only once Kafka acknowledged it. After a failed send every
 * job of that send fails with KafkaUnavailableError, the producer is replaced
 * (kafkajs' idempotent producer can keep a bad sequence state), and for
 * `retryAfterS` new jobs fail at once instead of queueing behind a dead broker.
 */
export class RawWriter {
  private producer: Producer | undefined;
  private readonly queue: Queued[] = [];
  private pendingSamples = 0;
  private sending = false;
  private nextPartition = 0;
  private unavailableUntil = 0;
  private lastFailure: unknown;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: TopicNames,
    private readonly opts: RawWriterOptions,
    private readonly log: Logger,
  ) {}

  async connect(): Promise<void> {
    await this.current();
  }

  /** Samples accepted and not yet acknowledged. */
  get pending(): number {
    return this.pendingSamples;
  }

  /** False for `retryAfterS` after a failed send. */
  get available(): boolean {
    return this.opts.now() >= this.unavailableUntil;
  }

  /**
   * Resolves once Kafka acknowledged every message of `job`.
   * @throws KafkaUnavailableError when the send failed (nothing of the job may be assumed written)
   */
  write(job: WriteJob): Promise<void> {
    if (!this.available) {
      return Promise.reject(new KafkaUnavailableError('Kafka did not acknowledge the last write; retry later', this.opts.retryAfterS, { cause: this.lastFailure }));
    }
    this.pendingSamples += job.samples;
    const bytes = job.messages.reduce((n, m) => n + m.bytes, 0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ job, bytes, resolve, reject });
      this.pump();
    }).finally(() => {
      this.pendingSamples -= job.samples;
    });
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((err: unknown) => this.log.debug({ err }, 'producer disconnect failed'));
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    const taken = this.take();
    void this.send(taken).finally(() => {
      this.sending = false;
      this.pump();
    });
  }

  /** The jobs of the next produce request, each placed on partitions; at least one job. */
  private take(): { queued: Queued[]; byPartition: Map<number, Message[]> } {
    const { partitions, maxBatchBytes } = this.opts;
    const lanes = partitions.length;
    const fill = new Map<number, number>();
    const byPartition = new Map<number, Message[]>();
    const queued: Queued[] = [];
    const place = (partition: number, m: RawMessage) => {
      fill.set(partition, (fill.get(partition) ?? 0) + m.bytes);
      let list = byPartition.get(partition);
      if (list === undefined) byPartition.set(partition, (list = []));
      list.push({ value: m.value, partition });
    };
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.bytes > maxBatchBytes) {
        if (queued.length > 0) break;
        // Too large for one batch: spread over consecutive partitions (not atomic; see the README).
        let bytes = 0;
        for (const m of next.job.messages) {
          if (bytes > 0 && bytes + m.bytes > maxBatchBytes) {
            this.nextPartition = (this.nextPartition + 1) % lanes;
            bytes = 0;
          }
          bytes += m.bytes;
          place(partitions[this.nextPartition]!, m);
        }
        this.nextPartition = (this.nextPartition + 1) % lanes;
        queued.push(this.queue.shift()!);
        break;
      }
      let lane = -1;
      for (let i = 0; i < lanes; i++) {
        const l = (this.nextPartition + i) % lanes;
        if ((fill.get(partitions[l]!) ?? 0) + next.bytes <= maxBatchBytes) {
          lane = l;
          break;
        }
      }
      if (lane < 0) break;
      for (const m of next.job.messages) place(partitions[lane]!, m);
      // Round robin over partitions so ingest instances share the load.
      this.nextPartition = (lane + 1) % lanes;
      queued.push(this.queue.shift()!);
    }
    return { queued, byPartition };
  }

  private async send({ queued, byPartition }: { queued: Queued[]; byPartition: Map<number, Message[]> }): Promise<void> {
    const raw: Message[] = [...byPartition.values()].flat();
    const dlqPartition = this.nextPartition % this.opts.dlqPartitions;
    const dlq: Message[] = queued.flatMap((q) => q.job.dlq.map((m) => ({ ...m, partition: dlqPartition })));
    const topicMessages = [
      ...(raw.length > 0 ? [{ topic: this.topics.raw, messages: raw }] : []),
      ...(dlq.length > 0 ? [{ topic: this.topics.dlq, messages: dlq }] : []),
    ];
    try {
      if (topicMessages.length > 0) {
        const producer = await this.current();
        await producer.sendBatch({ topicMessages, acks: -1, timeout: this.opts.timeoutMs });
      }
      for (const q of queued) q.resolve();
    } catch (err) {
      this.lastFailure = err;
      this.unavailableUntil = this.opts.now() + this.opts.retryAfterS * 1000;
      this.log.warn({ err, requests: queued.length }, 'produce to the raw topic failed; answering 503');
      await this.disconnect();
      const failure = new KafkaUnavailableError('Kafka did not acknowledge the samples; retry the request', this.opts.retryAfterS, { cause: err });
      // Jobs still queued were never sent: failing them now is safe and spares them a wait behind a dead broker.
      for (const q of [...queued, ...this.queue.splice(0)]) q.reject(failure);
    }
  }

  private async current(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    this.producer = await connectIdempotentProducer(this.kafka);
    return this.producer;
  }
}
