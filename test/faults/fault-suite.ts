/**
 * Fault-injection suite: `npm run test:faults -- [--profile ci|full] [--seed N] [--json]`.
 *
 * The whole pipeline runs as processes on the local stack (it kills the
 * stack's own broker, Redis nodes and Sentinels, so run it alone): two ingest
 * instances, two shard workers (more join and leave), two alerters, under a
 * steady load of generated samples, per-slot heartbeats that measure the lag
 * from outside, and alert probes that must each fire and resolve once. A
 * scheduler drawn from the printed seed strikes every fault kind (see
 * fault-schedule.ts) at random moments, one at a time, and measures how long
 * the pipeline takes to get its lag back under one second.
 *
 * At the end every window of every resolution is compared with a reference
 * aggregation of what Kafka acknowledged, every malformed message is looked up
 * in the DLQ by its raw coordinates and code, and every alert that was due is
 * looked up among the signed webhooks. Prints one JSON object; exits 1 when
 * anything was lost, doubled, wrong or missing (recovery times are reported
 * against their bounds, not asserted: they are timings).
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { SampleGenerator, prng, type RawSample } from '@ringtail/loadgen';
import { DLQ_HEADERS, DEFAULT_SHARD_SLOTS, redisKeys, topicNames } from '@ringtail/model';
import { connectIdempotentProducer } from '@ringtail/runtime';
import { LocalStack, ServiceProcess, loadStackSettings, stackUp } from '@ringtail/stack';
import { WebhookReceiver } from '@ringtail/webhooks';
import { stackEnv } from '../support/stack-env.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { until } from '../support/until.ts';
import { AlertProbes, accountWebhooks, probeRules } from './alert-probes.ts';
import { recoveryBoundMs, rssMb, strike, type Cluster, type FaultTimings } from './fault-actions.ts';
import { FAULT_KINDS, PROFILES, countByKind, faultSchedule, type FaultKind } from './fault-schedule.ts';
import { Freshness } from './freshness.ts';
import { malformedBurst } from './malformed-input.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'full' },
    seed: { type: 'string' },
    // Prints the lag and its laggiest slots every second while a fault recovers.
    trace: { type: 'boolean', default: false },
    // Comma-separated fault kinds: strike only these (to study one fault; not a full run).
    only: { type: 'string' },
  },
});
const profile = PROFILES[values.profile as keyof typeof PROFILES];
if (profile === undefined) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
const KINDS: readonly FaultKind[] = values.only === undefined ? FAULT_KINDS : values.only.split(',').map((k) => k.trim()) as FaultKind[];
for (const k of KINDS) if (!FAULT_KINDS.includes(k)) throw new Error(`--only: unknown fault kind ${k}; kinds: ${FAULT_KINDS.join(', ')}`);
const SEED = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const say = (line: string) => process.stderr.write(`[faults] ${line}\n`);

const TICK_MS = 100;
const SAMPLES_PER_MESSAGE = 100;
const LAG_OK_MS = 1000;
const RECOVERY_TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = 240_000;
// A fault strikes a pipeline that has caught up, or, if it cannot within this, one that lags (and is marked so).
const CATCH_UP_BEFORE_FAULT_MS = 60_000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;
const TIMINGS: FaultTimings = { sessionTimeoutMs: 10_000, leaseTtlMs: 3000, sentinelDownAfterMs: 5000, downMs: 3000 };

interface Recovery {
  kind: FaultKind;
  target: string;
  /** null: not recovered within RECOVERY_TIMEOUT_MS. */
  recoveryMs: number | null;
  boundMs: number;
  /** The lag just before the fault struck: what the pipeline ran at in steady state. */
  lagBeforeMs: number;
  /** The pipeline had caught up (lag under 1 s) when the fault struck; false: its recovery time says little. */
  caughtUpBefore: boolean;
}

/**
 * Prints, every second from `fromMs` on (--trace), the lag and its laggiest slots, and per
 * shard worker the flushes since the last line with their mean duration and the samples
 * it holds unflushed: where a slow recovery spends its time.
 */
function traceLag(freshness: Freshness, fromMs: number, shards: () => readonly ServiceProcess[]): NodeJS.Timeout {
  const last = new Map<string, { count: number; sum: number; waitSum: number }>();
  return setInterval(() => {
    void (async () => {
      const laggards = freshness.laggards().map((l) => `slot ${l.slot} ${l.behindTicks} ticks behind`);
      const workers = await Promise.all(
        shards().map(async (p) => {
          const [count, sum, waitSum, pending] = await Promise.all([
            p.metric('ringtail_shard_flush_duration_ms_count'),
            p.metric('ringtail_shard_flush_duration_ms_sum'),
            p.metric('ringtail_shard_replica_wait_duration_ms_sum'),
            p.metric('ringtail_shard_pending_samples'),
          ]);
          if (count === undefined || sum === undefined || waitSum === undefined) return `${p.name}: -`;
          const before = last.get(p.name) ?? { count, sum, waitSum };
          last.set(p.name, { count, sum, waitSum });
          const n = count - before.count;
          const each = n > 0 ? ` of ${Math.round((sum - before.sum) / n)} ms (WAIT ${Math.round((waitSum - before.waitSum) / n)})` : '';
          return `${p.name}: ${n} flushes${each}, ${pending ?? '?'} pending`;
        }),
      );
      say(`   +${Math.round(performance.now() - fromMs)} ms: lag ${Math.round(freshness.lagMs())} ms${laggards.length > 0 ? ` (${laggards.join(', ')})` : ''}; ${workers.join('; ')}`);
    })();
  }, 1000);
}

async function main(): Promise<void> {
  const settings = loadStackSettings(process.env);
  const { mode, endpoints } = await stackUp(settings);
  if (mode !== 'local') throw new Error('the fault suite needs the local stack (it kills its broker and Redis nodes); set RINGTAIL_STACK_MODE=local');
  const stack = new LocalStack(settings.topology);
  const schedule = faultSchedule(profile!, SEED).filter((f) => KINDS.includes(f.kind));
  say(`profile ${profile!.name}, seed ${SEED} (replay with --seed ${SEED}), ${schedule.length} faults: ${schedule.map((f) => f.kind).join(', ')}`);

  const namespace = `faults-${Date.now().toString(36)}.`;
  const topics = topicNames(namespace);
  const serviceEnv = {
    KAFKA_SESSION_TIMEOUT_MS: String(TIMINGS.sessionTimeoutMs),
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  };
  const pipeline = new PipelineUnderTest(endpoints, { namespace, workers: ['w1', 'w2'], ingestInstances: 2, extraEnv: serviceEnv });
  cleanup.push(async () => {
    for (const p of [...pipeline.ingest, ...pipeline.shards.values()]) p.resume();
    await pipeline.stop().catch(() => undefined);
    // A failed run keeps its topics and keys, so the raw records behind a mismatch can be read.
    if (keepNamespace) say(`kept namespace ${namespace} (topics and Redis keys) for inspection`);
    else await pipeline.purge().catch(() => undefined);
  });
  await pipeline.start();

  const receiver = await WebhookReceiver.start({ secret: SECRET });
  const rulesFile = join(mkdtempSync(join(tmpdir(), 'ringtail-faults-')), 'rules.yaml');
  writeFileSync(rulesFile, probeRules(receiver.url, SECRET));
  const alerters = ['a1', 'a2'].map(
    (id) =>
      new ServiceProcess({
        name: `${namespace.replace(/\.$/, '')}-alerter-${id}`,
        entry: 'services/alerter/src/main.ts',
        env: { ...stackEnv(endpoints, namespace), RULES_FILE: rulesFile, EVAL_INTERVAL_MS: '1000', LEASE_TTL_MS: String(TIMINGS.leaseTtlMs), INSTANCE_ID: id, LOG_LEVEL: 'warn' },
        logDir: LOG_DIR,
      }),
  );
  cleanup.push(async () => {
    for (const a of alerters) a.resume();
    await Promise.all(alerters.map((a) => a.stop().catch(() => undefined)));
    await receiver.stop();
  });
  await Promise.all(alerters.map((a) => a.start(120_000)));

  // --- load: samples, heartbeats, probes and malformed bursts, from one loop ---
  const kafka = new Kafka({
    clientId: 'fault-suite',
    brokers: [...endpoints.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    // The broker is killed on purpose: sends retry across its absence rather than fail.
    retry: { retries: 10_000, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer: Producer = await connectIdempotentProducer(kafka);
  const freshness = new Freshness((s) => pipeline.seriesId(s), DEFAULT_SHARD_SLOTS, pipeline.redis, redisKeys(namespace));
  const probes = new AlertProbes({ everyMs: 15_000, highMs: 40_000 }, Date.now());
  const generator = new SampleGenerator({ seriesCount: 2000, labelsPerSeries: 4, metricNames: 10, jitterMs: 2000, seed: SEED });
  const produced: RawSample[] = [];
  const dlqExpected = new Map<string, number>();
  let bursts = 0;
  const burstQueue: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  let loadState = 'run' as 'run' | 'wind-down' | 'stop';
  let sendFailures = 0;
  const perTick = Math.round((profile!.ratePerSec * TICK_MS) / 1000);

  const load = (async () => {
    while (loadState !== 'stop') {
      const started = performance.now();
      const now = Date.now();
      const beat = freshness.nextTick(now);
      const probe = probes.samples(now, loadState === 'run');
      const batch = loadState === 'run' ? generator.next(perTick, now) : [];
      const messages: Message[] = [{ value: JSON.stringify(beat.samples) }, ...(probe.samples.length > 0 ? [{ value: JSON.stringify(probe.samples) }] : [])];
      for (let i = 0; i < batch.length; i += SAMPLES_PER_MESSAGE) messages.push({ value: JSON.stringify(batch.slice(i, i + SAMPLES_PER_MESSAGE)) });
      try {
        await producer.send({ topic: topics.raw, acks: -1, messages });
        freshness.acked(beat.tick);
        probe.onAcked();
        for (const s of [...beat.samples, ...probe.samples, ...batch]) produced.push(s);
      } catch (err) {
        // An unacknowledged send may or may not be in Kafka: the run's accounting is then inconclusive.
        sendFailures += 1;
        say(`send failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const waiting = burstQueue.splice(0);
      if (waiting.length > 0) {
        try {
          const burst = malformedBurst(String(bursts++), Date.now());
          // One send per message: together they would pass the broker's request size limit,
          // and each acknowledgement gives that message's raw offset.
          for (const m of burst) {
            const meta = await producer.send({ topic: topics.raw, acks: -1, messages: [{ partition: 0, value: m.value }] });
            const offset = Number(meta.find((r) => r.partition === 0)?.baseOffset);
            for (const code of m.codes) dlqExpected.set(`0|${offset}|${code}`, (dlqExpected.get(`0|${offset}|${code}`) ?? 0) + 1);
            for (const s of m.valid) produced.push(s);
          }
          for (const w of waiting) w.resolve();
        } catch (err) {
          sendFailures += 1;
          for (const w of waiting) w.reject(err);
        }
      }
      await sleep(Math.max(0, TICK_MS - (performance.now() - started)));
    }
  })();
  cleanup.push(async () => {
    loadState = 'stop';
    await load.catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  });

  // --- observers: lag and resident memory ---
  const peakRss: Record<string, number> = {};
  let observing = true;
  const observer = (async () => {
    let lastRss = 0;
    while (observing) {
      await freshness.poll().catch(() => undefined);
      if (performance.now() - lastRss > 1000) {
        lastRss = performance.now();
        const roles: [string, readonly ServiceProcess[]][] = [
          ['ingest', pipeline.ingest],
          ['shard', [...pipeline.shards.values()]],
          ['alerter', alerters],
        ];
        for (const [role, ps] of roles) {
          for (const p of ps) {
            const mb = rssMb(p.isRunning() ? p.pid : undefined);
            if (mb !== undefined) peakRss[role] = Math.max(peakRss[role] ?? 0, Math.round(mb));
          }
        }
      }
      await sleep(100);
    }
  })();
  cleanup.push(async () => {
    observing = false;
    await observer;
  });

  let joined = 2;
  const cluster: Cluster = {
    stack,
    endpoints,
    timings: TIMINGS,
    redisPorts: [settings.topology.redisPrimaryPort, settings.topology.redisReplicaPort],
    ingest: () => pipeline.ingest,
    shards: () => [...pipeline.shards.values()],
    alerters: () => alerters,
    addShard: () => pipeline.addShard(`w${++joined}`),
    isLeader: async (p) => (await p.metric('ringtail_alerter_is_leader')) === 1,
    sendMalformedBurst: () => new Promise<void>((resolve, reject) => burstQueue.push({ resolve, reject })),
    now: () => performance.now(),
  };

  /** An alerter leads and has evaluated at least twice since `from` was first read. */
  const alerterRecovered = () => {
    const firstSeen = new Map<ServiceProcess, number>();
    return async () => {
      for (const a of alerters) {
        if (!a.isRunning()) continue;
        const [leader, evaluations] = await Promise.all([a.metric('ringtail_alerter_is_leader'), a.metric('ringtail_alerter_evaluations_total')]);
        if (evaluations === undefined) continue;
        if (!firstSeen.has(a)) firstSeen.set(a, evaluations);
        if (leader === 1 && evaluations >= firstSeen.get(a)! + 2) return true;
      }
      return false;
    };
  };

  // --- the schedule ---
  const random = prng(SEED ^ 0x5eed);
  const recoveries: Recovery[] = [];
  const runStarted = performance.now();
  await until('steady state before the first fault', SETTLE_TIMEOUT_MS, () => freshness.lagMs() < LAG_OK_MS);
  const faults = [...schedule];
  for (let i = 0; i < faults.length || produced.length < profile!.minSamples; i++) {
    // Past the schedule, more faults are drawn until the run has produced enough samples.
    const fault = faults[i] ?? { kind: KINDS[Math.floor(random() * KINDS.length)]!, gapMs: profile!.gapMs[0], pick: random() };
    if (i >= faults.length) faults.push(fault);
    await sleep(fault.gapMs);
    // Recovery is measured back to lag under LAG_OK_MS: from a pipeline that was under it.
    const caughtUpBefore = await until('caught up before the fault', CATCH_UP_BEFORE_FAULT_MS, () => freshness.lagMs() < LAG_OK_MS);
    const lagBeforeMs = Math.round(freshness.lagMs());
    freshness.startRecording();
    const tracer = values.trace ? traceLag(freshness, performance.now(), () => [...pipeline.shards.values()].filter((p) => p.isRunning())) : null;
    const outcome = await strike(fault.kind, fault.pick, cluster);
    const alerterFault = fault.kind === 'kill-alerter' || fault.kind === 'pause-alerter';
    const alerterBack = alerterFault ? alerterRecovered() : async () => true;
    // Dated by the poll that began the caught-up run, not by this loop's check: a strike
    // that returns late (the old primary restarted once the Sentinels failed over) would
    // otherwise add its own duration to every recovery.
    let recoveredAt: number | null = null;
    const ok = await until(`${fault.kind} recovery`, RECOVERY_TIMEOUT_MS, async () => {
      recoveredAt = freshness.caughtUpFrom(outcome.endedAt, LAG_OK_MS);
      if (recoveredAt === null || !(await alerterBack())) return false;
      // The alerter's recovery is seen by this loop, once the lag is back.
      if (alerterFault) recoveredAt = Math.max(recoveredAt, performance.now());
      return true;
    });
    if (tracer) clearInterval(tracer);
    freshness.stopRecording();
    const recoveryMs = ok && recoveredAt !== null ? Math.round(recoveredAt - outcome.endedAt) : null;
    recoveries.push({ kind: fault.kind, target: outcome.target, recoveryMs, boundMs: recoveryBoundMs(fault.kind, TIMINGS), lagBeforeMs, caughtUpBefore });
    say(`${i + 1}. ${fault.kind} (${outcome.target}): ${recoveryMs === null ? 'NOT recovered' : `recovered in ${recoveryMs} ms`} (lag before: ${lagBeforeMs} ms${caughtUpBefore ? '' : ', NOT caught up'}); ${produced.length} samples so far`);
    if (outcome.restore) await outcome.restore();
    if (!ok) await until('lag back before the next fault', SETTLE_TIMEOUT_MS, () => freshness.lagMs() < LAG_OK_MS);
  }

  // --- wind down: no new probes, every probe comes back low, then everything is applied ---
  loadState = 'wind-down';
  await until('every probe low', 120_000, () => probes.expected().length === 2 * new Set(probes.expected().map((e) => e.probe)).size, 500);
  await sleep(2000);
  loadState = 'stop';
  await load;
  await producer.disconnect();
  const settled = await until('every sample applied', SETTLE_TIMEOUT_MS, async () => (await pipeline.appliedInEveryResolution(produced)) >= produced.length, 2000);
  const due = probes.expected();
  await until('every due webhook', 60_000, () => accountWebhooks(due, receiver.received).missing === 0, 500);
  // Let the alerters run on a little: a duplicate would show up now.
  await sleep(5000);
  observing = false;
  await observer;

  const applied = await pipeline.appliedCount(produced);
  const mismatches = await pipeline.mismatches(produced, 1000);
  const dlq = await readDlq(kafka, topics.dlq);
  let dlqMissing = 0;
  for (const key of dlqExpected.keys()) if (!dlq.keys.has(key)) dlqMissing += 1;
  let dlqUnexpected = 0;
  for (const key of dlq.keys) if (!dlqExpected.has(key)) dlqUnexpected += 1;
  const webhooks = accountWebhooks(due, receiver.received);

  const maxRecoveryMs: Partial<Record<FaultKind, number | null>> = {};
  const withinBound: Partial<Record<FaultKind, boolean>> = {};
  for (const r of recoveries) {
    const prev = maxRecoveryMs[r.kind];
    maxRecoveryMs[r.kind] = r.recoveryMs === null || prev === null ? null : Math.max(prev ?? 0, r.recoveryMs);
    withinBound[r.kind] = (withinBound[r.kind] ?? true) && r.recoveryMs !== null && r.recoveryMs <= r.boundMs;
  }
  const result = {
    seed: SEED,
    profile: profile!.name,
    ...(values.only !== undefined ? { only: KINDS } : {}),
    durationS: Math.round((performance.now() - runStarted) / 1000),
    samples: produced.length,
    faults: countByKind(recoveries.map((r) => r.kind)),
    faultsStruckLagging: recoveries.filter((r) => !r.caughtUpBefore).length,
    lost: Math.max(0, produced.length - applied),
    duplicated: Math.max(0, applied - produced.length),
    windowMismatches: mismatches.length,
    dlqExpected: dlqExpected.size,
    dlqMissing,
    dlqUnexpected,
    dlqRecords: dlq.records,
    webhooksDue: webhooks.expected,
    webhookDuplicates: webhooks.duplicates,
    webhookMissing: webhooks.missing,
    webhookUnsigned: webhooks.unsigned,
    webhookUnexpected: webhooks.unexpected,
    maxRecoveryMs,
    recoveryBoundMs: Object.fromEntries(FAULT_KINDS.map((k) => [k, recoveryBoundMs(k, TIMINGS)])),
    withinBound,
    peakRssMb: peakRss,
    sendFailures,
    settled,
    recoveries,
    ...(mismatches.length > 0 ? { mismatchExamples: mismatches.slice(0, 5) } : {}),
  };
  const exact =
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.windowMismatches === 0 &&
    result.dlqMissing === 0 &&
    result.dlqUnexpected === 0 &&
    result.webhookDuplicates === 0 &&
    result.webhookMissing === 0 &&
    result.webhookUnsigned === 0 &&
    result.webhookUnexpected === 0 &&
    result.sendFailures === 0 &&
    settled;
  keepNamespace = !exact;
  await runCleanup();
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  if (!exact) say('FAILED: something was lost, doubled, wrong or missing (see the JSON)');
  process.exit(exact ? 0 : 1);
}

/** Every DLQ record up to the topic's end: distinct raw coordinates and codes, and the record count. */
async function readDlq(kafka: Kafka, topic: string): Promise<{ keys: Set<string>; records: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const keys = new Set<string>();
  let records = 0;
  const consumer = kafka.consumer({ groupId: `${topic}-fault-suite-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records += 1;
      const h = message.headers ?? {};
      keys.add(`${String(h[DLQ_HEADERS.rawPartition])}|${String(h[DLQ_HEADERS.rawOffset])}|${String(h[DLQ_HEADERS.code])}`);
      if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
    },
  });
  for (const [p, high] of remaining) if (high === 0) remaining.delete(p);
  await until('the DLQ read to its end', 120_000, () => remaining.size === 0, 200);
  await consumer.disconnect();
  return { keys, records };
}

const cleanup: (() => Promise<void>)[] = [];
let keepNamespace = false;
async function runCleanup(): Promise<void> {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
}

// Ctrl-C stops the run but not before the services, the load and the namespace are cleaned up.
process.once('SIGINT', () => {
  say('interrupted');
  void runCleanup().finally(() => process.exit(130));
});

main().catch(async (err: unknown) => {
  say(`suite failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await runCleanup();
  process.exit(1);
});
