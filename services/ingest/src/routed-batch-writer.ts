import type { Kafka, Producer } from 'kafkajs';
import { dlqHeaders, encodeShardRecord, type TopicNames } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { ShardWriteError } from './errors.ts';
import { planProduceRequests, type PartitionMessages } from './produce-plan.ts';
import type { RoutedBatch } from './raw-batch-router.ts';

/**
 * Writes routed batches to the shard topics and the DLQ through one idempotent
 * producer (acks=-1, one request in flight, so records keep their order per
 * partition). kafkajs marks its idempotent producer experimental and a failed
 * send can leave it with a bad sequence state, so after any failure the
 * producer is dropped and a new one is made for the next attempt.
 */
export class RoutedBatchWriter {
  private producer: Producer | undefined;

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
   * Resolves once every record of `batch` is acknowledged by all in-sync replicas.
   * @throws ShardWriteError (retriable) after replacing the producer.
   */
  async write(batch: RoutedBatch, rawTopic: string): Promise<void> {
    const requests = planProduceRequests(this.toPartitionMessages(batch, rawTopic), this.layout.maxBatchBytes);
    try {
      const producer = await this.current();
      for (const topicMessages of requests) await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (err) {
      this.log.warn({ err, rawTopic, rawPartition: batch.rawPartition }, 'routed batch write failed, recreating producer');
      await this.drop();
      throw new ShardWriteError(rawTopic, batch.rawPartition, { cause: err });
    }
  }

  async disconnect(): Promise<void> {
    await this.drop();
  }

  private toPartitionMessages(batch: RoutedBatch, rawTopic: string): PartitionMessages[] {
    const out: PartitionMessages[] = [];
    for (const [worker, records] of batch.shardRecords) {
      if (records.length === 0) continue;
      out.push({ topic: this.topics.shard(worker), partition: batch.shardPartition, messages: records.map((r) => ({ value: encodeShardRecord(r) })) });
    }
    if (batch.dlq.length > 0) {
      // One DLQ partition per raw partition keeps each raw partition's rejections in order.
      out.push({
        topic: this.topics.dlq,
        partition: batch.rawPartition % this.layout.dlqPartitions,
        messages: batch.dlq.map((entry) => ({
          value: Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength),
          headers: dlqHeaders(entry.rejection, { topic: rawTopic, partition: batch.rawPartition, offset: entry.rawOffset }),
        })),
      });
    }
    return out;
  }

  private async current(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async drop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((err: unknown) => this.log.debug({ err }, 'producer disconnect failed'));
  }
}
