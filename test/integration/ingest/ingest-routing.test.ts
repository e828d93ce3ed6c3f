import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, IHeaders, Kafka } from 'kafkajs';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex } from '@ringtail/hashring';
import { DLQ_HEADERS, DLQ_SAMPLE_INDEX_HEADER, SampleValidator, decodeShardRecord, slotOfHashLow, topicNames, type TopicNames } from '@ringtail/model';
import { createKafka, createLogger, metricValue, scrapeMetrics } from '@ringtail/runtime';
import { loadConfig, startIngest, type IngestConfig, type IngestService } from '@ringtail/ingest';
import { eventually, randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

const RAW_PARTITIONS = 4;
// Different from RAW_PARTITIONS: a slot takes samples of every raw partition.
const SLOTS = 3;
const MESSAGES_PER_PARTITION = 60;
// The samples' time, given to their Kafka records too: ingest judges a sample's age against its record's timestamp.
const SAMPLE_TIME_MS = 1_732_540_000_000;

interface ExpectedSample {
  readonly topic: string;
  readonly shardPartition: number;
  readonly seriesId: string;
  readonly rp: number;
  readonly offset: number;
  readonly value: number;
  readonly timestamp: number;
}
interface ExpectedRejection {
  readonly rp: number;
  readonly offset: number;
  readonly sampleIndex: string | undefined;
  readonly code: string;
  /** The reason header: what the validator says about this input. */
  readonly reason: string | undefined;
}

/** Message i of partition p: mostly valid arrays and single samples, with every kind of malformed input mixed in. */
function rawMessage(p: number, i: number): Buffer {
  const sample = (j: number) => ({ name: 'http_requests_total', labels: { host: `h${(p * 7 + i + j) % 13}`, path: `/p${j}` }, value: p * 1000 + i + j / 10, timestamp: SAMPLE_TIME_MS + i });
  switch (i % 10) {
    case 3:
      return Buffer.from([0x7b, 0xc3, 0x28, 0x7d]); // invalid UTF-8
    case 5:
      return Buffer.from('{"name": "broken"'); // invalid JSON
    case 7:
      return Buffer.from(JSON.stringify([sample(0), { ...sample(1), labels: { __name__: 'x' } }, { ...sample(2), value: 'NaN' }, sample(3)]));
    case 8:
      return Buffer.from(JSON.stringify(sample(0)));
    default:
      return Buffer.from(JSON.stringify([sample(0), sample(1), sample(2)]));
  }
}

describe('ingest against the running stack', () => {
  const log = createLogger('ingest-it', 'warn');
  let kafka: Kafka;
  let admin: Admin;
  let topics: TopicNames;
  let config: IngestConfig;
  let service: IngestService | undefined;
  let reader: Consumer | undefined;

  beforeAll(async () => {
    const endpoints = stackEndpoints();
    const ns = randomNamespace('ingest');
    config = loadConfig({
      ...stackEnv(endpoints, ns),
      LOG_LEVEL: 'warn',
      RAW_PARTITIONS: String(RAW_PARTITIONS),
      SHARD_SLOTS: String(SLOTS),
      // Small records so a batch spans several records per slot.
      SHARD_RECORD_MAX_SAMPLES: '25',
    });
    topics = topicNames(ns);
    kafka = createKafka(endpoints.kafkaBrokers, 'ingest-it', log);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await reader?.disconnect();
    await service?.stop();
    if (topics) {
      await admin.deleteTopics({ topics: [topics.raw, topics.dlq, topics.shard] }).catch(() => undefined);
    }
    await admin?.disconnect();
  });

  it('routes every valid sample once to its slot and every malformed input to the DLQ with its source', async () => {
    service = await startIngest(config, log);

    // Produce after start: ingest created the topics and is consuming live.
    const producer = kafka.producer();
    await producer.connect();
    const produced: { rp: number; baseOffset: number; messages: Buffer[] }[] = [];
    for (let p = 0; p < RAW_PARTITIONS; p++) {
      const messages = Array.from({ length: MESSAGES_PER_PARTITION }, (_, i) => rawMessage(p, i));
      const [meta] = await producer.send({ topic: topics.raw, acks: -1, messages: messages.map((value) => ({ partition: p, value, timestamp: String(SAMPLE_TIME_MS) })) });
      produced.push({ rp: p, baseOffset: Number(meta!.baseOffset), messages });
    }
    await producer.disconnect();

    // Expected outcome, computed independently of ingest's code path.
    const hasher = createSeriesHasher(await (await import('xxhash-wasm')).default());
    const validator = new SampleValidator(config.limits);
    const expectedSamples: ExpectedSample[] = [];
    const expectedRejections: ExpectedRejection[] = [];
    for (const { rp, baseOffset, messages } of produced) {
      messages.forEach((bytes, i) => {
        const offset = baseOffset + i;
        const v = validator.validateMessage(bytes);
        for (const r of v.rejected) {
          expectedRejections.push({ rp, offset, sampleIndex: r.rejection.sampleIndex === undefined ? undefined : String(r.rejection.sampleIndex), code: r.rejection.code, reason: r.rejection.reason });
        }
        for (const { sample } of v.accepted) {
          const h = hasher.hash(canonicalSeriesKey(sample.name, sample.labels));
          expectedSamples.push({ topic: topics.shard, shardPartition: slotOfHashLow(h.lo, SLOTS), seriesId: seriesIdHex(h), rp, offset, value: sample.value, timestamp: sample.timestamp });
        }
      });
    }
    expect(new Set(expectedRejections.map((r) => r.code))).toEqual(new Set(['INVALID_UTF8', 'INVALID_JSON', 'RESERVED_LABEL', 'NON_FINITE_VALUE']));
    expect(new Set(expectedSamples.map((s) => s.shardPartition)).size).toBe(SLOTS);

    // Ingest commits only after its writes are acknowledged: once the commit reaches
    // the end of every raw partition, everything it wrote is in the topics.
    const rawEnds = await admin.fetchTopicOffsets(topics.raw);
    await eventually('ingest to commit every raw partition to its end', 60_000, async () => {
      const [committed] = await admin.fetchOffsets({ groupId: topics.ingestGroup, topics: [topics.raw] });
      const done = rawEnds.every((end) => committed?.partitions.find((c) => c.partition === end.partition)?.offset === end.high);
      return done ? true : undefined;
    });
    expect(service.isReady()).toBe(true);

    // Read the shard topic and the DLQ completely (to their high watermarks).
    const outTopics = [topics.shard, topics.dlq];
    const ends = new Map<string, number>();
    for (const t of outTopics) for (const o of await admin.fetchTopicOffsets(t)) ends.set(`${t}/${o.partition}`, Number(o.high));
    const seen = new Map<string, number>();
    const gotSamples: ExpectedSample[] = [];
    const gotRejections: (ExpectedRejection & { headers: IHeaders; value: Buffer | null })[] = [];
    reader = kafka.consumer({ groupId: `${topics.ingestGroup}-reader` });
    await reader.connect();
    await reader.subscribe({ topics: outTopics, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, partition, message }) => {
        seen.set(`${topic}/${partition}`, Number(message.offset) + 1);
        if (topic === topics.dlq) {
          const h = message.headers ?? {};
          const str = (k: string) => (h[k] === undefined ? undefined : String(h[k]));
          gotRejections.push({ rp: Number(str(DLQ_HEADERS.rawPartition)), offset: Number(str(DLQ_HEADERS.rawOffset)), sampleIndex: str(DLQ_SAMPLE_INDEX_HEADER), code: str(DLQ_HEADERS.code) ?? '', reason: str(DLQ_HEADERS.reason), headers: h, value: message.value });
          return;
        }
        const record = decodeShardRecord(message.value!);
        for (const [si, value, timestamp, offset] of record.samples) {
          gotSamples.push({ topic, shardPartition: partition, seriesId: record.series[si]!.id, rp: record.rp, offset, value, timestamp });
        }
      },
    });
    await eventually('the reader to reach the end of every output partition', 60_000, async () =>
      [...ends].every(([tp, end]) => end === 0 || (seen.get(tp) ?? 0) >= end) ? true : undefined,
    );

    const key = (s: ExpectedSample) => JSON.stringify([s.topic, s.shardPartition, s.seriesId, s.rp, s.offset, s.value, s.timestamp]);
    expect(gotSamples.map(key).sort()).toEqual(expectedSamples.map(key).sort());
    // The reason too: a missing header would be undefined here, not the validator's text.
    const rkey = (r: ExpectedRejection) => JSON.stringify([r.rp, r.offset, r.sampleIndex ?? null, r.code, r.reason ?? null]);
    expect(gotRejections.map(rkey).sort()).toEqual(expectedRejections.map(rkey).sort());
    for (const r of gotRejections) {
      expect(String(r.headers[DLQ_HEADERS.rawTopic])).toBe(topics.raw);
      const original = produced[r.rp]!.messages[r.offset - produced[r.rp]!.baseOffset]!;
      if (r.sampleIndex === undefined) expect(r.value?.equals(original)).toBe(true);
      else expect(JSON.parse(r.value!.toString())).toEqual(JSON.parse(original.toString())[Number(r.sampleIndex)]);
    }

    // Within each shard partition, the samples of one raw partition arrive in raw-offset order.
    const lastOffset = new Map<string, number>();
    for (const s of gotSamples) {
      const k = `${s.topic}/${s.shardPartition}/${s.rp}`;
      expect(s.offset).toBeGreaterThanOrEqual(lastOffset.get(k) ?? -1);
      lastOffset.set(k, s.offset);
    }

    const metrics = await scrapeMetrics(service.port);
    for (const code of new Set(expectedRejections.map((r) => r.code))) {
      expect({ code, n: metricValue(metrics, 'ringtail_ingest_dlq_records_total', { code }) }).toEqual({ code, n: expectedRejections.filter((r) => r.code === code).length });
    }
    expect((await fetch(`http://127.0.0.1:${service.port}/readyz`)).status).toBe(200);
  });
});
