import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { SampleGenerator, type RawSample } from '@ringtail/loadgen';
import { DLQ_HEADERS, topicNames } from '@ringtail/model';
import { eventually, randomNamespace, stackEndpoints } from '../support/fixtures.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { testSeed } from '../support/test-seed.ts';

const SEED = testSeed('e2e/bad-input');
const ROUNDS = 1300;

/** One malformed message of each kind per round, with the DLQ code it must get. */
function malformed(round: number, nowMs: number): { value: Buffer; code: string }[] {
  const ok = { name: 'bad_input_probe', labels: { round: String(round) }, value: 1, timestamp: nowMs };
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  return [
    { value: Buffer.from(`{"name":"m${round}","labels":{`), code: 'INVALID_JSON' },
    { value: Buffer.from(`{"name":"m","labels":{},"value":NaN,"timestamp":${nowMs}}`), code: 'INVALID_JSON' },
    { value: json({ ...ok, value: String(round) }), code: 'SCHEMA' },
    { value: json({ name: ok.name, labels: ok.labels, value: 1 }), code: 'SCHEMA' },
    { value: Buffer.from(`{"name":"m","labels":{},"value":1e999,"timestamp":${nowMs}}`), code: 'NON_FINITE_VALUE' },
    { value: json({ ...ok, value: 'Infinity' }), code: 'NON_FINITE_VALUE' },
    { value: json({ ...ok, labels: { big: 'x'.repeat(5000) } }), code: 'LIMIT_LABEL_VALUE_LENGTH' },
    { value: Buffer.concat([Buffer.from('{"name":"m","labels":{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`"},"value":1,"timestamp":${nowMs}}`)]), code: 'INVALID_UTF8' },
    { value: json({ ...ok, labels: { __name__: 'x' } }), code: 'RESERVED_LABEL' },
  ];
}

describe('bad input', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let topics: ReturnType<typeof topicNames>;

  beforeAll(async () => {
    const namespace = randomNamespace('badinput');
    topics = topicNames(namespace);
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0', 'w1'], ingestInstances: 1 });
    await pipeline.start();
    producer = await pipeline.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await pipeline?.purge();
  });

  it('sends each malformed message to the DLQ with its reason and leaves valid samples exact', async () => {
    const generator = new SampleGenerator({ seriesCount: 500, labelsPerSeries: 3, metricNames: 5, jitterMs: 5000, seed: SEED });
    const valid: RawSample[] = [];
    const expectedCodes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const now = Date.now();
      const good = generator.next(10, now);
      // A mixed array: the valid sample is kept, the reserved-label one goes to the DLQ alone.
      const mixedGood = generator.next(1, now)[0]!;
      const mixed = [mixedGood, { ...mixedGood, labels: { __reserved: 'x' } }];
      const bad = malformed(round, now);
      for (const b of bad) expectedCodes.set(b.code, (expectedCodes.get(b.code) ?? 0) + 1);
      expectedCodes.set('RESERVED_LABEL', (expectedCodes.get('RESERVED_LABEL') ?? 0) + 1);
      await producer.send({
        topic: topics.raw,
        acks: -1,
        messages: [{ value: JSON.stringify(good) }, ...bad.map((b) => ({ value: b.value })), { value: JSON.stringify(mixed) }],
      });
      valid.push(...good, mixedGood);
    }
    const expectedTotal = [...expectedCodes.values()].reduce((a, b) => a + b, 0);
    expect(expectedTotal).toBeGreaterThanOrEqual(10_000);

    const seen = new Map<string, number>();
    let withCoordinates = 0;
    let withReason = 0;
    const consumer = pipeline.kafka.consumer({ groupId: `${topics.dlq}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const h = message.headers ?? {};
        const code = String(h[DLQ_HEADERS.code] ?? 'missing');
        seen.set(code, (seen.get(code) ?? 0) + 1);
        if (h[DLQ_HEADERS.rawPartition] !== undefined && h[DLQ_HEADERS.rawOffset] !== undefined && String(h[DLQ_HEADERS.rawTopic]) === topics.raw) withCoordinates += 1;
        if (String(h[DLQ_HEADERS.reason] ?? '').length > 0) withReason += 1;
      },
    });
    const total = () => [...seen.values()].reduce((a, b) => a + b, 0);
    await eventually(`${expectedTotal} DLQ records`, 120_000, async () => (total() >= expectedTotal ? true : undefined), 250);
    await consumer.disconnect();

    expect(Object.fromEntries([...seen].sort())).toEqual(Object.fromEntries([...expectedCodes].sort()));
    expect(withCoordinates).toBe(expectedTotal);
    expect(withReason).toBe(expectedTotal);

    await eventually('valid samples applied', 120_000, async () => ((await pipeline.appliedInEveryResolution(valid)) === valid.length ? true : undefined), 250);
    expect(await pipeline.mismatches(valid)).toEqual([]);
    // Nothing crashed: every process still answers.
    for (const p of [...pipeline.ingest, ...pipeline.shards.values()]) {
      expect((await fetch(`http://127.0.0.1:${p.port}/healthz`)).status).toBe(200);
    }
  });
});
