import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { loadStackSettings, type StackTopology } from '@ringtail/stack';
import { eventually, randomNamespace } from '../support/fixtures.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { ContainerStack } from './containers.ts';

const SEED = Number(process.env.RINGTAIL_TEST_SEED ?? Date.now() % 2 ** 31);
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
      expect(applied, 'applied samples never exceed produced ones').toBeLessThanOrEqual(produced.length);
      return applied === produced.length ? true : undefined;
    }, 250);
    process.stdout.write(`[docker] ${what}: ${produced.length} samples exact after ${Math.round(performance.now() - started)} ms of catch-up\n`);
    expect(await pipeline.mismatches(produced)).toEqual([]);
  };

  beforeAll(async () => {
    process.stdout.write(`[docker] seed ${SEED} (set RINGTAIL_TEST_SEED to replay)\n`);
    const started = performance.now();
    await stack.start();
    process.stdout.write(`[docker] containers serving in ${Math.round(performance.now() - started)} ms\n`);
    const namespace = randomNamespace('docker');
    rawTopic = topicNames(namespace).raw;
    pipeline = new PipelineUnderTest(stack.endpoints, { namespace, workers: ['w0', 'w1'], ingestInstances: 1 });
    await pipeline.start();
    producer = await pipeline.producer();
    generator = new SampleGenerator({ seriesCount: 2000, labelsPerSeries: 4, metricNames: 10, jitterMs: 15_000, seed: SEED });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await stack.stop();
  });

  it('aggregates out-of-order samples into exact windows', async () => {
    await produce(50_000, 0);
    await expectExact('steady state');
  });

  it('stays exact when the Redis primary container is killed mid-stream', async () => {
    const t = stack.topology;
    const probe = new Redis({ host: '127.0.0.1', port: t.sentinelPorts[0], lazyConnect: true });
    const primaryPort = async () => Number(((await probe.call('SENTINEL', 'get-master-addr-by-name', t.sentinelMasterName)) as [string, string])[1]);
    try {
      const before = await primaryPort();
      const victim = before === t.redisPrimaryPort ? 'redis-a' : 'redis-b';
      const sent = produced.length;
      const load = produce(60_000, 10_000);
      await eventually('traffic flowing', 30_000, async () => (produced.length > sent + 15_000 ? true : undefined), 20);
      stack.kill(victim);
      await eventually('Sentinel promoted the replica', 60_000, async () => ((await primaryPort()) !== before ? true : undefined), 250);
      await load;
      // A supervisor restarts the dead node; Sentinel makes it a replica of the new primary,
      // which flushes need (WAIT 1) before their offsets are committed.
      stack.restart(victim);
      await expectExact(`after docker kill of the primary (${victim})`);
    } finally {
      probe.disconnect();
    }
  });
});

describe.runIf(skipReason !== '')('the docker tests', () => {
  it.skip(`are skipped: ${skipReason}`, () => undefined);
});
