import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { decodeShardRecord, topicNames, type TopicNames } from '@ringtail/model';
import { createKafka, createLogger, ensureTopics } from '@ringtail/runtime';
import { loadConfig, startIngest, type IngestConfig } from '@ringtail/ingest';
import { eventually, randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

const RAW_PARTITIONS = 3;
const SLOTS = 8;
const MESSAGES_PER_PARTITION = 40;
// The samples' time, given to their Kafka records too: ingest judges a sample's age against its record's timestamp.
const SAMPLE_TIME_MS = 1_732_540_000_000;

/** A fixed sample set: arrays and single samples over a few dozen series, with some invalid input. */
function rawMessage(p: number, i: number): Buffer {
  const sample = (j: number) => ({ name: 'disk_bytes', labels: { host: `h${(i * 3 + j) % 17}`, dev: `sd${p}` }, value: i * 10 + j, timestamp: SAMPLE_TIME_MS + i * 1000 });
  if (i % 9 === 4) return Buffer.from(JSON.stringify([sample(0), { ...sample(1), value: 'NaN' }]));
  return Buffer.from(JSON.stringify(i % 2 === 0 ? [sample(0), sample(1), sample(2)] : sample(0)));
}

describe('ingest routing across a restart', () => {
  const log = createLogger('routing-replay', 'warn');
  let kafka: Kafka;
  let admin: Admin;
  let topics: TopicNames;
  let config: IngestConfig;

  beforeAll(async () => {
    const endpoints = stackEndpoints();
    const ns = randomNamespace('replay');
    config = loadConfig({ ...stackEnv(endpoints, ns), LOG_LEVEL: 'warn', RAW_PARTITIONS: String(RAW_PARTITIONS), SHARD_SLOTS: String(SLOTS) });
    topics = topicNames(ns);
    kafka = createKafka(endpoints.kafkaBrokers, 'routing-replay', log);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topics.raw, topics.dlq, topics.shard] }).catch(() => undefined);
    await admin?.disconnect();
  });

  /** Runs one ingest instance until it has committed every raw partition to its end, then stops it. */
  async function ingestEverything(): Promise<void> {
    const service = await startIngest(config, log);
    try {
      const ends = await admin.fetchTopicOffsets(topics.raw);
      await eventually('ingest to commit every raw partition', 60_000, async () => {
        const [committed] = await admin.fetchOffsets({ groupId: topics.ingestGroup, topics: [topics.raw] });
        return ends.every((e) => committed?.partitions.find((c) => c.partition === e.partition)?.offset === e.high) ? true : undefined;
      });
    } finally {
      await service.stop();
    }
  }

  /** Every sample in the shard topic as (partition, raw partition, raw offset, series, value, time), and every DLQ record's bytes and headers. */
  async function readOutputs(): Promise<{ samples: string[]; dlq: string[] }> {
    const ends = new Map<string, number>();
    for (const t of [topics.shard, topics.dlq]) for (const o of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${o.partition}`, Number(o.high));
    const seen = new Map<string, number>();
    const samples: string[] = [];
    const dlq: string[] = [];
    const reader = kafka.consumer({ groupId: `${topics.ingestGroup}-reader-${Date.now()}` });
    await reader.connect();
    await reader.subscribe({ topics: [topics.shard, topics.dlq], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, partition, message }) => {
        seen.set(`${topic}/${partition}`, Number(message.offset) + 1);
        if (topic === topics.dlq) {
          const headers = Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]).sort();
          dlq.push(JSON.stringify([partition, message.value?.toString('base64'), headers]));
          return;
        }
        const r = decodeShardRecord(message.value!);
        for (const [si, value, timestamp, rawOffset] of r.samples) samples.push(JSON.stringify([partition, r.rp, rawOffset, r.series[si], value, timestamp]));
      },
    });
    try {
      await eventually('the reader to reach every partition end', 60_000, async () =>
        [...ends].every(([tp, end]) => end === 0 || (seen.get(tp) ?? 0) >= end) ? true : undefined,
      );
    } finally {
      await reader.disconnect();
    }
    return { samples: samples.sort(), dlq: dlq.sort() };
  }

  it('writes every sample of a fixed set to the same partition, with the same bytes, when a restarted ingest reads it again', async () => {
    await ensureTopics(admin, [{ topic: topics.raw, numPartitions: RAW_PARTITIONS }]);
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < RAW_PARTITIONS; p++) {
      await producer.send({ topic: topics.raw, acks: -1, messages: Array.from({ length: MESSAGES_PER_PARTITION }, (_, i) => ({ partition: p, value: rawMessage(p, i), timestamp: String(SAMPLE_TIME_MS) })) });
    }
    await producer.disconnect();

    await ingestEverything();
    const first = await readOutputs();
    expect(first.samples.length).toBeGreaterThan(MESSAGES_PER_PARTITION * RAW_PARTITIONS);
    expect(first.dlq.length).toBeGreaterThan(0);

    // A crash before any commit, seen from outside: a new instance reads everything again.
    await admin.resetOffsets({ groupId: topics.ingestGroup, topic: topics.raw, earliest: true });
    await ingestEverything();
    const both = await readOutputs();

    // Each sample and each rejection now appears exactly twice, identically: same slot, same bytes.
    const twice = (xs: string[]) => xs.flatMap((x) => [x, x]).sort();
    expect(both.samples).toEqual(twice(first.samples));
    expect(both.dlq).toEqual(twice(first.dlq));
  });
});
