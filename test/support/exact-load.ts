import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import type { Producer } from 'kafkajs';
import { produceLoad, type RawSample, type SampleGenerator } from '@ringtail/loadgen';
import { eventually } from './fixtures.ts';
import type { PipelineUnderTest } from './pipeline.ts';

/**
 * Load into a pipeline's raw topic with a record of every acknowledged sample, and the
 * exactness check against that record: every sample applied once, every window right.
 */
export class ExactLoad {
  readonly produced: RawSample[] = [];

  constructor(
    private readonly pipeline: PipelineUnderTest,
    private readonly producer: Producer,
    private readonly generator: SampleGenerator,
    private readonly rawTopic: string,
    /** Prefix of the progress lines this prints, e.g. `e2e`. */
    private readonly label: string,
    private readonly catchUpTimeoutMs: number,
  ) {}

  /** Produces `samples` at `ratePerSec` (0: as fast as acknowledged); resolves when all are acknowledged. */
  produce(samples: number, ratePerSec: number): Promise<unknown> {
    return produceLoad(this.producer, this.generator, { topic: this.rawTopic, ratePerSec, totalSamples: samples, samplesPerMessage: 50, messagesPerSend: 20 }, (s) => {
      for (const x of s) this.produced.push(x);
    });
  }

  /** Waits until Redis holds as many samples as were produced, then compares every window. */
  async expectExact(what: string): Promise<void> {
    const started = performance.now();
    const produced = this.produced;
    await eventually(`${what}: ${produced.length} samples applied`, this.catchUpTimeoutMs, async () => {
      // More than produced is a double count: fail at once rather than time out.
      expect(await this.pipeline.appliedCount(produced), 'applied samples never exceed produced ones').toBeLessThanOrEqual(produced.length);
      return (await this.pipeline.appliedInEveryResolution(produced)) === produced.length ? true : undefined;
    }, 250);
    process.stdout.write(`[${this.label}] ${what}: ${produced.length} samples exact after ${Math.round(performance.now() - started)} ms of catch-up\n`);
    expect(await this.pipeline.mismatches(produced)).toEqual([]);
  }
}
