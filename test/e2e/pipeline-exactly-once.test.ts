import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { sentinelPrimary } from '@ringtail/runtime';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { LocalStack, loadStackSettings, stackUp } from '@ringtail/stack';
import { eventually, randomNamespace, stackEndpoints } from '../support/fixtures.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { testSeed } from '../support/test-seed.ts';

const SEED = testSeed('e2e/exactly-once');
const CATCH_UP_TIMEOUT_MS = 120_000;

describe('the pipeline counts every sample exactly once', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let generator: SampleGenerator;
  const produced: RawSample[] = [];
  let rawTopic: string;

  const produce = (samples: number, ratePerSec: number) =>
    produceLoad(producer, generator, { topic: rawTopic, ratePerSec, totalSamples: samples, samplesPerMessage: 50, messagesPerSend: 20 }, (s) => {
      for (const x of s) produced.push(x);
    });

  /** Waits until Redis holds as many samples as were produced, then compares every window. */
  const expectExact = async (what: string) => {
    const started = performance.now();
    await eventually(`${what}: ${produced.length} samples applied`, CATCH_UP_TIMEOUT_MS, async () => {
      const applied = await pipeline.appliedCount(produced);
      // More than produced is a double count: fail at once rather than time out.
      expect(applied, 'applied samples never exceed produced ones').toBeLessThanOrEqual(produced.length);
      return applied === produced.length ? true : undefined;
    }, 250);
    process.stdout.write(`[e2e] ${what}: ${produced.length} samples exact after ${Math.round(performance.now() - started)} ms of catch-up\n`);
    expect(await pipeline.mismatches(produced)).toEqual([]);
  };

  beforeAll(async () => {
    const namespace = randomNamespace('e2e');
    rawTopic = topicNames(namespace).raw;
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0', 'w1', 'w2'], ingestInstances: 2 });
    await pipeline.start();
    producer = await pipeline.producer();
    generator = new SampleGenerator({ seriesCount: 5000, labelsPerSeries: 4, metricNames: 20, jitterMs: 15_000, seed: SEED });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await pipeline?.purge();
  });

  // Whatever happened, leave a full Sentinel set (a killed node restarted as a replica) for the next test.
  afterEach(async () => {
    await stackUp(loadStackSettings(process.env));
  });

  it('aggregates 200k out-of-order samples over 5k series into exact windows', async () => {
    await produce(200_000, 0);
    await expectExact('steady state');
  });

  it('stays exact when a shard worker and an ingest instance are killed -9 mid-stream', async () => {
    const before = produced.length;
    const load = produce(200_000, 40_000);
    await eventually('traffic flowing', 30_000, async () => (produced.length > before + 50_000 ? true : undefined), 20);
    const shard = pipeline.shards.get('w1')!;
    const ingest = pipeline.ingest[0]!;
    await Promise.all([shard.kill(), ingest.kill()]);
    await Promise.all([shard.start(120_000), ingest.start(120_000)]);
    await load;
    await expectExact('after kill -9 of shard w1 and ingest 0');
  });

  it.runIf(inject('stackMode') === 'local')('stays exact when the Redis primary is killed mid-stream', async () => {
    const settings = loadStackSettings(process.env);
    const stack = new LocalStack(settings.topology);
    const primary = await sentinelPrimary(stackEndpoints().sentinels[0]!, stackEndpoints().sentinelMasterName);
    const pid = stack.redisPidByPort(primary!.port);
    expect(pid).toBeDefined();

    const before = produced.length;
    const load = produce(150_000, 30_000);
    await eventually('traffic flowing', 30_000, async () => (produced.length > before + 40_000 ? true : undefined), 20);
    process.kill(pid!, 'SIGKILL');
    await load;
    // A supervisor restarts the dead node; Sentinel makes it a replica of the new primary.
    await stackUp(settings);
    await expectExact('after kill -9 of the Redis primary');
  });
});
