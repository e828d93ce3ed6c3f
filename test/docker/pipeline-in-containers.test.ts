import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { SampleGenerator } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { loadStackSettings, type StackTopology } from '@ringtail/stack';
import { eventually, randomNamespace } from '../support/fixtures.ts';
import { ExactLoad } from '../support/exact-load.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { testSeed } from '../support/test-seed.ts';
import { ContainerStack } from './containers.ts';

const CATCH_UP_TIMEOUT_MS = 180_000;
// Ten ports above the configured stack, so the containers never meet the local stack
// that the integration and e2e projects leave running.
const PORT_OFFSET = 10;

function containerTopology(t: StackTopology): StackTopology {
  return {
    ...t,
    kafkaPort: t.kafkaPort + PORT_OFFSET,
    kafkaControllerPort: t.kafkaControllerPort + PORT_OFFSET,
    redisPrimaryPort: t.redisPrimaryPort + PORT_OFFSET,
    redisReplicaPort: t.redisReplicaPort + PORT_OFFSET,
    sentinelPorts: [t.sentinelPorts[0] + PORT_OFFSET, t.sentinelPorts[1] + PORT_OFFSET, t.sentinelPorts[2] + PORT_OFFSET],
  };
}

const skipReason = inject('dockerSkipReason');

describe.skipIf(skipReason !== '')('the pipeline on Kafka and Redis Sentinel in containers', () => {
  const stack = new ContainerStack(containerTopology(loadStackSettings(process.env).topology));
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let load: ExactLoad;

  beforeAll(async () => {
    const started = performance.now();
    await stack.start();
    process.stdout.write(`[docker] containers serving in ${Math.round(performance.now() - started)} ms\n`);
    const namespace = randomNamespace('docker');
    pipeline = new PipelineUnderTest(stack.endpoints, { namespace, workers: ['w0', 'w1'], ingestInstances: 1 });
    await pipeline.start();
    producer = await pipeline.producer();
    const generator = new SampleGenerator({ seriesCount: 2000, labelsPerSeries: 4, metricNames: 10, jitterMs: 15_000, seed: testSeed('docker/pipeline') });
    load = new ExactLoad(pipeline, producer, generator, topicNames(namespace).raw, 'docker', CATCH_UP_TIMEOUT_MS);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await stack.stop();
  });

  it('aggregates out-of-order samples into exact windows', async () => {
    await load.produce(50_000, 0);
    await load.expectExact('steady state');
  });

  it('stays exact when the Redis primary container is killed mid-stream', async () => {
    const t = stack.topology;
    const probe = new Redis({ host: '127.0.0.1', port: t.sentinelPorts[0], lazyConnect: true });
    const primaryPort = async () => Number(((await probe.call('SENTINEL', 'get-master-addr-by-name', t.sentinelMasterName)) as [string, string])[1]);
    try {
      const before = await primaryPort();
      const victim = before === t.redisPrimaryPort ? 'redis-a' : 'redis-b';
      const sent = load.produced.length;
      const traffic = load.produce(60_000, 10_000);
      await eventually('traffic flowing', 30_000, async () => (load.produced.length > sent + 15_000 ? true : undefined), 20);
      stack.kill(victim);
      await eventually('Sentinel promoted the replica', 60_000, async () => ((await primaryPort()) !== before ? true : undefined), 250);
      await traffic;
      // A supervisor restarts the dead node; Sentinel makes it a replica of the new primary,
      // which flushes need (WAIT 1) before their offsets are committed.
      stack.restart(victim);
      await load.expectExact(`after docker kill of the primary (${victim})`);
    } finally {
      probe.disconnect();
    }
  });
});

describe.runIf(skipReason !== '')('the docker tests', () => {
  it.skip(`are skipped: ${skipReason}`, () => undefined);
});
