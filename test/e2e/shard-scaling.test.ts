import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import type { RingStatus } from '@ringtail/ring-status';
import { eventually, randomNamespace, stackEndpoints } from '../support/fixtures.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { testSeed } from '../support/test-seed.ts';

const SEED = testSeed('e2e/shard-scaling');
// The broker's lowest allowed session timeout: a crashed or paused worker's slots move after it.
const SESSION_TIMEOUT_MS = 6000;
const SLOTS = 64;
const CATCH_UP_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 60_000;

/** Shard workers joining, leaving, crashing and pausing while samples flow; every window stays exact. */
describe('scaling shard workers while traffic flows', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  const produced: RawSample[] = [];

  const start = async (label: string, workers: string[]) => {
    const namespace = randomNamespace(label);
    pipeline = new PipelineUnderTest(stackEndpoints(), {
      namespace,
      workers,
      ingestInstances: 1,
      extraEnv: { SHARD_SLOTS: String(SLOTS), KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_HEARTBEAT_INTERVAL_MS: '1000' },
    });
    await pipeline.start();
    producer = await pipeline.producer();
    produced.length = 0;
    const generator = new SampleGenerator({ seriesCount: 4000, labelsPerSeries: 3, metricNames: 10, jitterMs: 15_000, seed: SEED });
    return (samples: number, ratePerSec: number) =>
      produceLoad(producer, generator, { topic: topicNames(namespace).raw, ratePerSec, totalSamples: samples, samplesPerMessage: 50, messagesPerSend: 10 }, (s) => {
        for (const x of s) produced.push(x);
      });
  };

  /** Runs `change`, then waits until `members` workers own every slot; prints and returns how long that took. */
  const step = async (what: string, members: number, change: () => Promise<unknown> | unknown) => {
    const started = performance.now();
    await change();
    await eventually(`${what}: every slot owned by ${members} members`, STEP_TIMEOUT_MS, async () => ((await pipeline.ringSettled(members)) ? true : undefined), 50);
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`[e2e] ${what}: all ${SLOTS} slots owned by ${members} workers after ${ms} ms\n`);
    return ms;
  };

  const expectExact = async (what: string) => {
    await eventually(`${what}: ${produced.length} samples applied`, CATCH_UP_TIMEOUT_MS, async () => {
      expect(await pipeline.appliedCount(produced), 'applied samples never exceed produced ones').toBeLessThanOrEqual(produced.length);
      return (await pipeline.appliedInEveryResolution(produced)) === produced.length ? true : undefined;
    }, 250);
    expect(await pipeline.mismatches(produced)).toEqual([]);
    process.stdout.write(`[e2e] ${what}: ${produced.length} samples exact\n`);
  };

  const shard = (id: string) => {
    const p = pipeline.shards.get(id);
    if (p === undefined) throw new Error(`no shard worker ${id}`);
    return p;
  };

  beforeAll(() => {
  });

  afterAll(async () => {
    // A worker left paused by a failed step would never answer SIGTERM.
    for (const p of pipeline?.shards.values() ?? []) p.resume();
    await producer?.disconnect();
    await pipeline?.stop();
    await pipeline?.purge();
  });

  it('stays exact through 2 → 4 → 3 → 1 → 2 workers, a kill -9 and a worker paused past its session timeout', async () => {
    const produce = await start('scale', ['s1', 's2']);
    await step('start with 2', 2, () => undefined);
    const load = produce(300_000, 5000);
    await eventually('traffic flowing', 30_000, async () => (produced.length > 20_000 ? true : undefined), 20);

    await step('scale 2 → 4 (two joins)', 4, () => Promise.all([pipeline.addShard('s3'), pipeline.addShard('s4')]));
    await step('scale 4 → 3 (graceful leave)', 3, () => shard('s4').stop());
    await step('scale 3 → 1 (two graceful leaves)', 1, () => Promise.all([shard('s3').stop(), shard('s2').stop()]));
    await step('scale 1 → 2 (join)', 2, () => pipeline.addShard('s5'));
    await step('kill -9 of one of 2 workers', 1, () => shard('s5').kill());
    await step('join after the crash', 2, () => pipeline.addShard('s6'));
    const paused = shard('s6');
    await step(`SIGSTOP of one of 2 workers (session timeout ${SESSION_TIMEOUT_MS} ms)`, 1, () => paused.pause());
    await step('SIGCONT: the paused worker rejoins', 2, () => paused.resume());

    await load;
    expect(produced.length).toBe(300_000);
    await expectExact('after scaling, a crash and a zombie');

    // What an operator sees: every worker's /ring page and `ringtail ring status`.
    const live = ['s1', 's6'];
    const page = await (await fetch(`http://127.0.0.1:${shard('s1').port}/ring`)).text();
    expect(page).toContain('<h1>Shard ring</h1>');
    for (const id of live) expect(page).toContain(`<td>${id}</td>`);
    expect(page).toContain(`${SLOTS} slots,\n<span class="">0 unowned`);
    const json = (await (await fetch(`http://127.0.0.1:${shard('s6').port}/ring`, { headers: { accept: 'application/json' } })).json()) as RingStatus;
    expect(json.members.map((m) => m.worker).sort()).toEqual(live);
    expect(json.members.map((m) => m.slots.length)).toEqual([SLOTS / 2, SLOTS / 2]);
    const { stdout } = await promisify(execFile)(process.execPath, ['libs/cli/bin/ringtail.mjs', 'ring', 'status', '--json'], { env: { ...process.env, ...pipeline.env } });
    const cli = JSON.parse(stdout) as RingStatus;
    expect(cli.unownedSlots).toEqual([]);
    expect(cli.members.map((m) => m.worker).sort()).toEqual(live);
    expect(cli.rebalances.length).toBeGreaterThanOrEqual(8);
    expect(cli.rebalances.some((r) => r.slotsMoved > 0)).toBe(true);
  });

  it('replays no sample when one of two workers leaves gracefully under load', async () => {
    await pipeline.stop();
    await pipeline.purge();
    const produce = await start('leave', ['a', 'b']);
    await step('start with 2', 2, () => undefined);
    const load = produce(60_000, 5000);
    await eventually('traffic flowing', 30_000, async () => (produced.length > 20_000 ? true : undefined), 20);
    const stayer = shard('a');
    const skippedBefore = (await stayer.metric('ringtail_shard_samples_skipped_total')) ?? Number.NaN;
    await step('graceful leave of one of 2', 1, () => shard('b').stop());
    await load;
    await expectExact('after a graceful leave');
    expect(skippedBefore).toBe(0);
    expect(await stayer.metric('ringtail_shard_samples_skipped_total')).toBe(0);
    // The stayer took over the leaver's slots: it now applies samples of all of them.
    expect((await pipeline.ringStatus()).members.map((m) => m.slots.length)).toEqual([SLOTS]);
  });
});
