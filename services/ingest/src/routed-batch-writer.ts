import type { Kafka, Message, Producer } from 'kafkajs';
import { dlqHeaders, type TopicNames } from '@ringtail/model';
import { connectIdempotentProducer, type Logger } from '@ringtail/runtime';
import { ShardWriteError } from './errors.ts';
import { planProduceRequests, type PartitionMessages } from './produce-plan.ts';
import { ShardRecordEncoder } from './shard-record-encoder.ts';
import type { RoutedBatch } from './raw-batch-router.ts';

/**
 * Writes routed batches of raw topic `topics.raw` to the shard topic and the
 * DLQ through one idempotent producer (acks=-1, one request in flight, so
 * records keep their order per partition). kafkajs marks its idempotent
 * producer experimental and a failed send can leave it with a bad sequence
 * state, so after any failure the producer is dropped and a new one is made for
 * the next attempt. The caller handles (and logs) the failure.
 */
export class RoutedBatchWriter {
  private producer: Producer | undefined;
  private readonly encoder = new ShardRecordEncoder();

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: TopicNames,
    private readonly layout: { readonly dlqPartitions: number; readonly maxBatchBytes: number },
    private readonly log: Logger,
  ) {}

  async connect(): Promise<void> {
    await this.current();
  }

  /**
   * Resolves once every record of `batches` is acknowledged by all in-sync replicas.
   * Records go out in the order of `batches`, so one raw partition's records keep their order.
   * @throws ShardWriteError (retriable) after replacing the producer.
   */
  async write(batches: readonly RoutedBatch[]): Promise<void> {
    const requests = planProduceRequests(this.toPartitionMessages(batches), this.layout.maxBatchBytes);
    try {
      const producer = await this.current();
      for (const topicMessages of requests) await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (err) {
      const rawPartitions = [...new Set(batches.map((b) => b.rawPartition))];
      await this.drop();
      throw new ShardWriteError(this.topics.raw, rawPartitions, { cause: err });
    }
  }

  async disconnect(): Promise<void> {
    await this.drop();
  }

  private toPartitionMessages(batches: readonly RoutedBatch[]): PartitionMessages[] {
    // One list per output partition, filled in batch order: raw partitions that share a
    // shard partition interleave, but each one's records stay in raw-offset order.
    const byPartition = new Map<string, { topic: string; partition: number; messages: Message[] }>();
    const listFor = (topic: string, partition: number) => {
      const key = `${topic}\u0000${partition}`;
      let list = byPartition.get(key);
      if (list === undefined) byPartition.set(key, (list = { topic, partition, messages: [] }));
      return list.messages;
    };
    for (const batch of batches) {
      for (const { slot, records } of batch.shardRecords) {
        if (records.length === 0) continue;
        const out = listFor(this.topics.shard, slot);
        for (const r of records) out.push({ value: this.encoder.encode(r) });
      }
      if (batch.dlq.length === 0) continue;
      // One DLQ partition per raw partition keeps each raw partition's rejections in order.
      const out = listFor(this.topics.dlq, batch.rawPartition % this.layout.dlqPartitions);
      for (const entry of batch.dlq) {
        out.push({
          value: Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength),
          headers: dlqHeaders(entry.rejection, { topic: this.topics.raw, partition: batch.rawPartition, offset: entry.rawOffset }),
        });
      }
    }
    return [...byPartition.values()];
  }

  private async current(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    this.producer = await connectIdempotentProducer(this.kafka);
    return this.producer;
  }

  private async drop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((err: unknown) => this.log.debug({ err }, 'producer disconnect failed'));
  }
}
