import type { Kafka, Message, Producer } from 'kafkajs';
import { dlqHeaders } from '@ringtail/model';
import { connectIdempotentProducer } from '@ringtail/runtime';
import type { CorruptRecordSink, LateSampleSink } from './shard-ports.ts';

/**
 * The shard worker's DLQ writers on Kafka, sharing one producer:
 * - `lateSamples`: each late sample becomes a DLQ record (TIMESTAMP_TOO_OLD,
 *   the raw coordinates it came from, the sample as JSON), sent before the
 *   batch covering it is applied;
 * - `corruptRecords`: an undecodable shard record becomes a DLQ record
 *   (SHARD_RECORD_CORRUPT, its shard-topic coordinates, its bytes as they were).
 * Every send uses `acks: -1`. A failed send recreates the producer (kafkajs's
 * idempotent producer is not reused after a failure) and throws, so the worker retries.
 */
export function kafkaDlqSinks(
  kafka: Kafka,
  topics: { readonly raw: string; readonly dlq: string },
): { readonly lateSamples: LateSampleSink; readonly corruptRecords: CorruptRecordSink; close(): Promise<void> } {
  let producer: Promise<Producer> | null = null;
  const send = async (messages: Message[]) => {
    producer ??= connectIdempotentProducer(kafka);
    const current = producer;
    try {
      await (await current).send({ topic: topics.dlq, acks: -1, messages });
    } catch (err) {
      if (producer === current) producer = null;
      void current.then((p) => p.disconnect()).catch(() => undefined);
      throw err;
    }
  };
  return {
    lateSamples: {
      async reject(samples) {
        if (samples.length === 0) return;
        await send(
          samples.map((s) => ({
            value: JSON.stringify({ name: s.series.name, labels: s.series.labels, value: s.value, timestamp: s.timestampMs }),
            headers: dlqHeaders({ code: 'TIMESTAMP_TOO_OLD', reason: s.reason }, { topic: topics.raw, partition: s.rawPartition, offset: s.rawOffset }),
          })),
        );
      },
    },
    corruptRecords: {
      async reject(r) {
        await send([{ value: r.value, headers: dlqHeaders({ code: 'SHARD_RECORD_CORRUPT', reason: r.reason }, { topic: r.shardTopic, partition: r.partition, offset: Number(r.offset) }) }]);
      },
    },
    async close() {
      if (producer) await (await producer).disconnect();
    },
  };
}
