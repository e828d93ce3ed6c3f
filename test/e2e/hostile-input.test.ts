import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { RawSample } from '@ringtail/loadgen';
import { DLQ_HEADERS, SERIES_FIELDS, WINDOW_FIELDS, redisKeys, topicNames } from '@ringtail/model';
import { metricValue, scrapeMetrics } from '@ringtail/runtime';
import { eventually, randomNamespace, stackEndpoints } from '../support/fixtures.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';

const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);

describe('hostile input through the real broker', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let topics: ReturnType<typeof topicNames>;
  let namespace: string;

  beforeAll(async () => {
    namespace = randomNamespace('hostile');
    topics = topicNames(namespace);
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0'], ingestInstances: 1, extraEnv: { RAW_PARTITIONS: '1' } });
    await pipeline.start();
    producer = await pipeline.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await pipeline?.purge();
  });

  it('sets aside a 5000-deep poison pill, deep labels and values and __proto__ labels, and ingests what follows them', async () => {
    const now = Date.now();
    const sample = (i: number, labels: Record<string, string> = { host: 'a' }): RawSample => ({ name: 'hostile_probe', labels, value: i, timestamp: now + i });
    // Labels named like Object.prototype members are ordinary labels and must all reach Redis.
    const prototypeNamed = sample(2, { constructor: 'c', toString: 't', hasOwnProperty: 'h', valueOf: 'v' });
    const valid = [sample(1), prototypeNamed, sample(3), sample(4)];
    const hostile: { value: string; code: string }[] = [
      { value: deep('[', ']', 5000), code: 'LIMIT_JSON_DEPTH' },
      { value: `{"name":"m","labels":{"a":${deep('[', ']', 5000)}},"value":1,"timestamp":${now}}`, code: 'LIMIT_JSON_DEPTH' },
      { value: `{"name":"m","labels":{},"value":${'{"a":'.repeat(4000)}1${'}'.repeat(4000)},"timestamp":${now}}`, code: 'LIMIT_JSON_DEPTH' },
      { value: `{"name":"m","labels":{"__proto__":"x"},"value":1,"timestamp":${now}}`, code: 'RESERVED_LABEL' },
      { value: `{"name":"m","labels":{"__proto__":"x","k":"v"},"value":1,"timestamp":${now}}`, code: 'RESERVED_LABEL' },
    ];
    // One raw partition, in this order: every valid sample after the first is behind a hostile message.
    const messages = [valid[0]!, ...hostile.map((h) => h.value), ...valid.slice(1)].map((v) => ({ partition: 0, value: typeof v === 'string' ? v : JSON.stringify(v) }));
    await producer.send({ topic: topics.raw, acks: -1, messages });

    const codes: string[] = [];
    const consumer = pipeline.kafka.consumer({ groupId: `${topics.dlq}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void codes.push(String(message.headers?.[DLQ_HEADERS.code] ?? 'missing')) });
    await eventually('hostile messages in the DLQ', 90_000, async () => (codes.length >= hostile.length ? true : undefined), 250);
    await consumer.disconnect();
    expect(codes.sort()).toEqual(hostile.map((h) => h.code).sort());

    await eventually('valid samples applied', 90_000, async () => ((await pipeline.appliedInEveryResolution(valid)) === valid.length ? true : undefined), 250);
    expect(await pipeline.mismatches(valid)).toEqual([]);
    const stored = await pipeline.redis.hget(redisKeys(namespace).series(pipeline.seriesId(prototypeNamed)), SERIES_FIELDS.labels);
    expect(JSON.parse(stored ?? '{}')).toEqual(prototypeNamed.labels);
    // The consumer never stopped: ingest is still ready, and nothing was left behind.
    const ingest = pipeline.ingest[0]!;
    expect((await fetch(`http://127.0.0.1:${ingest.port}/readyz`)).status).toBe(200);
    const metrics = await scrapeMetrics(ingest.port);
    expect(metricValue(metrics, 'ringtail_ingest_consumer_state', { state: 'running' })).toBe(1);
    // A counter with labels has no sample until it first counts: no restart by anyone.
    expect(metrics.filter((m) => m.name === 'ringtail_ingest_consumer_restarts_total')).toEqual([]);
  });

  it('rejects samples closed in every resolution or too far ahead of their record, and counts those a finer resolution has closed', async () => {
    const recordMs = Date.now();
    const at = (i: number, timestamp: number): RawSample => ({ name: 'age_probe', labels: { i: String(i) }, value: i, timestamp });
    const tooOld = [at(1, 0), at(2, Date.UTC(2023, 5, 1))];
    const tooNew = [at(3, recordMs + 3_600_000)];
    const halfHourOld = at(4, recordMs - 30 * 60_000);
    const onTime = at(5, recordMs);
    const messages = [...tooOld, ...tooNew, halfHourOld, onTime].map((s) => ({ partition: 0, value: JSON.stringify(s), timestamp: String(recordMs) }));
    await producer.send({ topic: topics.raw, acks: -1, messages });

    const codes: string[] = [];
    const consumer = pipeline.kafka.consumer({ groupId: `${topics.dlq}-age-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void codes.push(String(message.headers?.[DLQ_HEADERS.code] ?? 'missing')) });
    const ageCodes = () => codes.filter((c) => c.startsWith('TIMESTAMP_')).sort();
    await eventually('age rejections in the DLQ', 90_000, async () => (ageCodes().length >= 3 ? true : undefined), 250);
    await consumer.disconnect();
    expect(ageCodes()).toEqual(['TIMESTAMP_TOO_NEW', 'TIMESTAMP_TOO_OLD', 'TIMESTAMP_TOO_OLD']);

    await eventually('on-time sample applied', 90_000, async () => ((await pipeline.appliedInEveryResolution([onTime])) === 1 ? true : undefined), 250);
    const keys = redisKeys(namespace);
    const countIn = async (resolution: string, stepMs: number) =>
      pipeline.redis.hget(keys.window(pipeline.seriesId(halfHourOld), resolution, Math.floor(halfHourOld.timestamp / stepMs) * stepMs), WINDOW_FIELDS.count);
    // Default MAX_SAMPLE_LATENESS: the 1h window (open until 1 h after its end) takes it; the 10s (5 min) and 1m (10 min) ones are closed.
    expect([await countIn('10s', 10_000), await countIn('1m', 60_000), await countIn('1h', 3_600_000)]).toEqual([null, null, '1']);
    const metrics = await scrapeMetrics(pipeline.ingest[0]!.port);
    expect(metricValue(metrics, 'ringtail_ingest_samples_expired_total', { resolution: '10s' })).toBe(1);
    expect(metricValue(metrics, 'ringtail_ingest_samples_expired_total', { resolution: '1m' })).toBe(1);
    expect(metricValue(metrics, 'ringtail_ingest_dlq_records_total', { code: 'TIMESTAMP_TOO_OLD' })).toBe(2);
  });
});
