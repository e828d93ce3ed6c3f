import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { sentinelPrimary } from '@ringtail/runtime';
import { SampleGenerator } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { LocalStack, loadStackSettings, stackUp } from '@ringtail/stack';
import { eventually, randomNamespace, stackEndpoints } from '../support/fixtures.ts';
import { ExactLoad } from '../support/exact-load.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { testSeed } from '../support/test-seed.ts';

const SEED = testSeed('e2e/exactly-once');
const CATCH_UP_TIMEOUT_MS = 120_000;

describe('the pipeline counts every sample exactly once', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let load: ExactLoad;

  beforeAll(async () => {
    const namespace = randomNamespace('e2e');
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0', 'w1', 'w2'], ingestInstances: 2 });
    await pipeline.start();
    producer = await pipeline.producer();
    const generator = new SampleGenerator({ seriesCount: 5000, labelsPerSeries: 4, metricNames: 20, jitterMs: 15_000, seed: SEED });
    load = new ExactLoad(pipeline, producer, generator, topicNames(namespace).raw, 'e2e', CATCH_UP_TIMEOUT_MS);
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
    await load.produce(200_000, 0);
    await load.expectExact('steady state');
  });

  it('stays exact when a shard worker and an ingest instance are killed -9 mid-stream', async () => {
    const before = load.produced.length;
    const traffic = load.produce(200_000, 40_000);
    await eventually('traffic flowing', 30_000, async () => (load.produced.length > before + 50_000 ? true : undefined), 20);
    const shard = pipeline.shards.get('w1')!;
    const ingest = pipeline.ingest[0]!;
    await Promise.all([shard.kill(), ingest.kill()]);
    await Promise.all([shard.start(120_000), ingest.start(120_000)]);
    await traffic;
    await load.expectExact('after kill -9 of shard w1 and ingest 0');
  });

  it.runIf(inject('stackMode') === 'local')('stays exact when the Redis primary is killed mid-stream', async () => {
    const settings = loadStackSettings(process.env);
    const stack = new LocalStack(settings.topology);
    const primary = await sentinelPrimary(stackEndpoints().sentinels[0]!, stackEndpoints().sentinelMasterName);
    const pid = stack.redisPidByPort(primary!.port);
    expect(pid).toBeDefined();

    const before = load.produced.length;
    const traffic = load.produce(150_000, 30_000);
    await eventually('traffic flowing', 30_000, async () => (load.produced.length > before + 40_000 ? true : undefined), 20);
    process.kill(pid!, 'SIGKILL');
    await traffic;
    // A supervisor restarts the dead node; Sentinel makes it a replica of the new primary.
    await stackUp(settings);
    await load.expectExact('after kill -9 of the Redis primary');
  });
});
