/**
 * Scaling benchmark: `npm run bench:scale -- [--json] [--rate N] [--session-timeout-ms N]`.
 *
 * On the local stack, with samples produced at a steady rate (default 40k/s,
 * about half of what the pipeline bench measured here), shard workers join,
 * leave, crash (kill -9) and stall (SIGSTOP past the session timeout, then
 * SIGCONT). For each event it measures the time until every slot is owned by
 * the new membership, the time until the pipeline's lag is back under 1 s,
 * how many slots moved against the ideal, how many samples were replayed and
 * the throughput during the event against before it. At the end every window
 * is compared with the reference aggregation of what was produced.
 * Prints one JSON object with --json, a readable summary otherwise.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { eventually } from '@ringtail/runtime';
import type { RingStatus } from '@ringtail/ring-status';
import { loadStackSettings, stackUp, type ServiceProcess } from '@ringtail/stack';
import { PipelineUnderTest } from '../support/pipeline.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rate: { type: 'string', default: '40000' },
    series: { type: 'string', default: '10000' },
    slots: { type: 'string', default: '64' },
    'session-timeout-ms': { type: 'string', default: '10000' },
    'settle-ms': { type: 'string', default: '5000' },
  },
});
const RATE = Number(values.rate);
const SLOTS = Number(values.slots);
const SESSION_TIMEOUT_MS = Number(values['session-timeout-ms']);
const SETTLE_MS = Number(values['settle-ms']);
const EVENT_TIMEOUT_MS = 120_000;
const LAG_TIMEOUT_MS = 30_000;
const SAMPLE_EVERY_MS = 100;
const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

type Kind = 'join' | 'leave' | 'crash' | 'zombie';

interface EventResult {
  kind: Kind;
  note?: string;
  workersBefore: number;
  workersAfter: number;
  msToAllSlotsOwned: number;
  /** Null when the lag did not get under 1 s within LAG_TIMEOUT_MS (see lagBeforeMs). */
  msToLagUnder1s: number | null;
  /** The lag just before the event: what the pipeline runs at in steady state. */
  lagBeforeMs: number;
  /** Join + sync as the group leader measured it (the hand-over inside Kafka's protocol). */
  leaderRebalanceMs: number | null;
  slotsMoved: number;
  idealSlotsMoved: number;
  samplesReplayed: number;
  throughputRatio: number;
}

/** Slot → member id, from the group coordinator's view. */
function owners(s: RingStatus): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of s.members) for (const slot of m.slots) out.set(slot, m.memberId);
  return out;
}

/**
 * Samples durable in Redis over time, summed over every worker that ever ran
 * (a killed worker keeps its last reading), and the produced timeline, so the
 * pipeline's lag can be read in time: how long ago was the newest sample
 * produced of which every earlier one is applied.
 */
class Progress {
  readonly flushed = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  private readonly appliedAt: { atMs: number; total: number }[] = [];
  private readonly producedAt: { atMs: number; total: number }[] = [];
  produced = 0;

  noteProduced(n: number): void {
    this.produced += n;
    this.producedAt.push({ atMs: performance.now(), total: this.produced });
  }

  async poll(shards: ReadonlyMap<string, ServiceProcess>): Promise<void> {
    await Promise.all(
      [...shards].map(async ([id, p]) => {
        const f = await p.metric('ringtail_shard_samples_flushed_total');
        const s = await p.metric('ringtail_shard_samples_skipped_total');
        if (f !== undefined) this.flushed.set(id, f);
        if (s !== undefined) this.skipped.set(id, s);
      }),
    );
    this.appliedAt.push({ atMs: performance.now(), total: this.applied() });
  }

  applied(): number {
    let total = 0;
    for (const v of this.flushed.values()) total += v;
    return total;
  }

  skippedTotal(): number {
    let total = 0;
    for (const v of this.skipped.values()) total += v;
    return total;
  }

  /** ms between now and when the first not-yet-applied sample was produced (0 when all are applied). */
  lagMs(): number {
    const applied = this.applied();
    const first = this.producedAt.find((p) => p.total > applied);
    return first === undefined ? 0 : performance.now() - first.atMs;
  }

  /** Applied samples per second over [fromMs, toMs]. */
  rate(fromMs: number, toMs: number): number {
    const at = (t: number) => {
      let best = this.appliedAt[0];
      for (const a of this.appliedAt) if (a.atMs <= t) best = a;
      return best;
    };
    const a = at(fromMs);
    const b = at(toMs);
    if (a === undefined || b === undefined || b.atMs <= a.atMs) return Number.NaN;
    return ((b.total - a.total) * 1000) / (b.atMs - a.atMs);
  }
}

async function main(): Promise<void> {
  const { endpoints } = await stackUp(loadStackSettings(process.env));
  const namespace = `bench-scale-${Date.now().toString(36)}.`;
  const pipeline = new PipelineUnderTest(endpoints, {
    namespace,
    workers: ['w1', 'w2'],
    ingestInstances: 1,
    extraEnv: { SHARD_SLOTS: String(SLOTS), KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_HEARTBEAT_INTERVAL_MS: String(Math.min(1000, Math.floor(SESSION_TIMEOUT_MS / 3))) },
  });
  running = pipeline;
  await pipeline.start();
  const progress = new Progress();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await progress.poll(pipeline.shards).catch(() => undefined);
      await sleep(SAMPLE_EVERY_MS);
    }
  })();

  const produced: RawSample[] = [];
  const producer = await pipeline.producer();
  const generator = new SampleGenerator({ seriesCount: Number(values.series), labelsPerSeries: 4, metricNames: 20, jitterMs: 5000, seed: 42 });
  const stopLoad = new AbortController();
  const load = produceLoad(
    producer,
    generator,
    { topic: topicNames(namespace).raw, ratePerSec: RATE, samplesPerMessage: 100, messagesPerSend: 10, signal: stopLoad.signal },
    (s) => {
      for (const x of s) produced.push(x);
      progress.noteProduced(s.length);
    },
  );

  const events: EventResult[] = [];
  let next = 3;
  const liveWorkers = () => [...pipeline.shards.entries()].filter(([, p]) => p.isRunning());
  // An optional wait reports whether the condition came true instead of failing the run.
  const waitFor = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = EVENT_TIMEOUT_MS, required = true) =>
    eventually(what, timeoutMs, check, 50).then(
      () => true,
      (err: unknown) => {
        if (required) throw err;
        return false;
      },
    );

  const run = async (kind: Kind, after: number, act: () => Promise<void> | void, note?: string) => {
    await sleep(SETTLE_MS);
    const before = await pipeline.ringStatus();
    const beforeOwners = owners(before);
    const skippedBefore = progress.skippedTotal();
    const started = performance.now();
    const rateBefore = progress.rate(started - SETTLE_MS + 1000, started);
    const lagBeforeMs = Math.round(progress.lagMs());
    const departing = new Set<string>();
    await act();
    await waitFor(`${kind}: every slot owned by ${after} members`, () => pipeline.ringSettled(after));
    const owned = performance.now();
    const lagUnder1s = await waitFor(`${kind}: lag under 1 s`, () => progress.lagMs() < 1000, LAG_TIMEOUT_MS, false);
    const caughtUp = performance.now();
    const afterStatus = await pipeline.ringStatus();
    const afterOwners = owners(afterStatus);
    let slotsMoved = 0;
    for (let s = 0; s < SLOTS; s++) if (beforeOwners.get(s) !== afterOwners.get(s)) slotsMoved++;
    for (const m of before.members) if (!afterStatus.members.some((a) => a.memberId === m.memberId)) departing.add(m.memberId);
    const departed = before.members.filter((m) => departing.has(m.memberId)).reduce((n, m) => n + m.slots.length, 0);
    const idealSlotsMoved = kind === 'join' ? Math.ceil(SLOTS / after) : departed;
    const latest = afterStatus.rebalances[0];
    const result: EventResult = {
      kind,
      ...(note ? { note } : {}),
      workersBefore: before.members.length,
      workersAfter: afterStatus.members.length,
      msToAllSlotsOwned: Math.round(owned - started),
      msToLagUnder1s: lagUnder1s ? Math.round(caughtUp - started) : null,
      lagBeforeMs,
      leaderRebalanceMs: latest !== undefined && latest.atMs >= Date.now() - (performance.now() - started) ? Math.round(latest.durationMs) : null,
      slotsMoved,
      idealSlotsMoved,
      samplesReplayed: progress.skippedTotal() - skippedBefore,
      throughputRatio: Math.round((progress.rate(started, Math.max(caughtUp, started + 1000)) / rateBefore) * 1000) / 1000,
    };
    events.push(result);
    say(`${kind}${note ? ` (${note})` : ''} ${result.workersBefore} → ${result.workersAfter}: slots owned after ${result.msToAllSlotsOwned} ms, lag < 1 s after ${result.msToLagUnder1s ?? 'never'} ms (before: ${lagBeforeMs} ms), moved ${slotsMoved}/${idealSlotsMoved} ideal, replayed ${result.samplesReplayed}, throughput ×${result.throughputRatio}`);
  };

  const join = () => pipeline.addShard(`w${next++}`).then(() => undefined);
  const pick = () => {
    const live = liveWorkers();
    return live[live.length - 1]!;
  };

  await run('join', 3, join);
  await run('join', 4, join);
  await run('leave', 3, async () => void (await pick()[1].stop()));
  await run('leave', 2, async () => void (await pick()[1].stop()));
  await run('crash', 1, () => pick()[1].kill());
  await run('join', 2, join);
  const zombie = pick()[1];
  await run('zombie', 1, () => zombie.pause());
  await run('join', 2, () => zombie.resume(), 'the paused worker resumes');

  stopLoad.abort();
  await load;
  await producer.disconnect();
  await waitFor('every sample applied', async () => (await pipeline.appliedInEveryResolution(produced)) >= produced.length);
  polling = false;
  await poller;
  const applied = await pipeline.appliedCount(produced);
  const mismatches = await pipeline.mismatches(produced, 1000);
  await pipeline.stop();
  await pipeline.purge();

  const result = {
    slots: SLOTS,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    ratePerSec: RATE,
    samples: produced.length,
    events,
    lost: Math.max(0, produced.length - applied),
    duplicated: Math.max(0, applied - produced.length),
    windowMismatches: mismatches.length,
  };
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

let running: PipelineUnderTest | undefined;

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  for (const p of running?.shards.values() ?? []) p.resume();
  await running?.stop().catch(() => undefined);
  await running?.purge().catch(() => undefined);
  process.exit(1);
});
