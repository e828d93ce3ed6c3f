import type { Kafka, Producer } from 'kafkajs';
import { dlqHeaders } from '@ringtail/model';
import { connectIdempotentProducer } from '@ringtail/runtime';
import type { LateSampleSink } from './shard-worker.ts';

/**
 * The LateSampleSink on Kafka: each late sample becomes a DLQ record
 * (TIMESTAMP_TOO_OLD, the raw coordinates it came from, the sample as JSON),
 * sent with `acks: -1` before the batch covering it is applied. A failed send
 * recreates the producer (kafkajs's idempotent producer is not reused after a
 * failure) and throws, so the worker retries the whole flush.
 */
export function kafkaLateSampleSink(kafka: Kafka, topics: { readonly raw: string; readonly dlq: string }): LateSampleSink & { close(): Promise<void> } {
  let producer: Promise<Producer> | null = null;
  return {
    async reject(samples) {
      if (samples.length === 0) return;
      producer ??= connectIdempotentProducer(kafka);
      const current = producer;
      try {
        await (
          await current
        ).send({
          topic: topics.dlq,
          acks: -1,
          messages: samples.map((s) => ({
            value: JSON.stringify({ name: s.series.name, labels: s.series.labels, value: s.value, timestamp: s.timestampMs }),
            headers: dlqHeaders({ code: 'TIMESTAMP_TOO_OLD', reason: s.reason }, { topic: topics.raw, partition: s.rawPartition, offset: s.rawOffset }),
          })),
        });
      } catch (err) {
        if (producer === current) producer = null;
        void current.then((p) => p.disconnect()).catch(() => undefined);
        throw err;
      }
    },
    async close() {
      if (producer) await (await producer).disconnect();
    },
  };
}
