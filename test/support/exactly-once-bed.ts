import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Producer } from 'kafkajs';
import { SampleGenerator } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { loadStackSettings, stackUp } from '@ringtail/stack';
import { randomNamespace, stackEndpoints } from './fixtures.ts';
import { ExactLoad } from './exact-load.ts';
import { PipelineUnderTest } from './pipeline.ts';
import { testSeed } from './test-seed.ts';

const CATCH_UP_TIMEOUT_MS = 120_000;

export interface ExactlyOnceBed {
  readonly pipeline: PipelineUnderTest;
  readonly load: ExactLoad;
}

/**
 * The whole pipeline of the exactly-once e2e files, registered on the calling
 * `describe`: three shard workers and two ingest instances as processes, and an
 * exact load over 5k series (seed printed under `seedLabel`). After each test
 * the stack is brought back to a full Sentinel set (a killed node restarted as
 * a replica). The fields are set once `beforeAll` ran.
 */
export function useExactlyOnceBed(seedLabel: string): ExactlyOnceBed {
  const bed = {} as { pipeline: PipelineUnderTest; load: ExactLoad; producer: Producer };

  beforeAll(async () => {
    const namespace = randomNamespace('e2e');
    bed.pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0', 'w1', 'w2'], ingestInstances: 2 });
    await bed.pipeline.start();
    bed.producer = await bed.pipeline.producer();
    const generator = new SampleGenerator({ seriesCount: 5000, labelsPerSeries: 4, metricNames: 20, jitterMs: 15_000, seed: testSeed(seedLabel) });
    bed.load = new ExactLoad(bed.pipeline, bed.producer, generator, topicNames(namespace).raw, 'e2e', CATCH_UP_TIMEOUT_MS);
  });

  afterAll(async () => {
    await bed.producer?.disconnect();
    await bed.pipeline?.stop();
    await bed.pipeline?.purge();
  });

  afterEach(async () => {
    await stackUp(loadStackSettings(process.env));
  });

  return bed;
}
