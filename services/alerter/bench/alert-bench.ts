/**
 * Alerter benchmark (not a test): 1,000 rules over 10,000 series in a fresh
 * namespace of the running stack, evaluated by an in-process alerter that
 * delivers to a real HTTP receiver on loopback.
 *
 * Prints one JSON object: `evalMs` (mean duration of an evaluation tick over
 * all rules), `evalMsMax`, and `p99AlertLatencyMs` — from writing the sample
 * that crosses a threshold into Redis to its webhook arriving — over
 * `crossings` rules crossing at random moments. Target: p99 ≤ evaluation
 * interval + 1 s.
 *
 * Then an end-to-end phase (pipeline-phase.ts): the real pipeline and an
 * alerter on a fresh namespace, `e2eCrossings` crossing samples produced to
 * Kafka under background load, with 1,000 rules over 10,000 load series;
 * `p50/p99ProduceToWebhookMs` run from the broker acknowledging a crossing
 * sample to its webhook arriving, against `e2eTargetMs` (1,500 ms);
 * `e2eStageP99Ms` says where the pipeline's part goes: each stage's p99 over
 * the records of the crossings' span, from the ingest and shard histograms (a
 * bucket's upper bound); `e2eStageMeanMs` gives their means over the same span.
 * `--e2e-crossings 0` skips it.
 *
 * Before those, the selector index alone (index-phase.ts): 10,000 rules, one
 * flush's announcement of `--index-series-per-flush` (1,000) series routed to
 * their rules: `announcementP50Ms`/`announcementP99Ms` (bound: a few ms).
 *
 * Then the same crossing through Debian's Prometheus + Alertmanager in two
 * configurations (prometheus-phase.ts): `prometheusTunedP99Ms` (1 s scrape and
 * evaluation, group_wait 0s) and `prometheusTypicalP99Ms` (15 s, group_wait
 * 30s). `--prom-crossings 0` skips it.
 *
 * Change-driven evaluation is on unless `--change-driven false`. `--small`
 * is a shorter run (fewer crossings over shorter spans) for a loaded machine.
 *
 *   npm run bench -w @ringtail/alerter -- --json [--small] [--crossings 200] [--eval-interval-ms 5000]
 *     [--e2e-crossings 60] [--e2e-spread-ms 60000] [--e2e-load-per-sec 20000] [--e2e-load-series 10000] [--e2e-filler-rules 999]
 *     [--prom-crossings 10] [--prom-spread-ms 60000] [--change-driven true|false]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { createSentinelClient, eventually, metricValue, scrapeMetrics } from '@ringtail/runtime';
import { loadConfig, startAlerter, type RunningAlerter } from '../src/index.ts';
import { runIndexPhase } from './index-phase.ts';
import { runPipelinePhase } from './pipeline-phase.ts';
import { runPrometheusPhase } from './prometheus-phase.ts';
import { percentile } from '@ringtail/loadgen';
import { startFiringReceiver } from './first-firing.ts';
import { WindowWriter, type Sample } from './window-writer.ts';

const RULES = 1000;
const SERIES_PER_RULE = 10;
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    crossings: { type: 'string', default: '200' },
    'eval-interval-ms': { type: 'string', default: '5000' },
    'spread-ms': { type: 'string', default: '30000' },
    'e2e-crossings': { type: 'string', default: '60' },
    'e2e-spread-ms': { type: 'string', default: '60000' },
    'e2e-load-per-sec': { type: 'string', default: '20000' },
    'e2e-load-series': { type: 'string', default: '10000' },
    'e2e-filler-rules': { type: 'string', default: '999' },
    'prom-crossings': { type: 'string', default: '10' },
    'index-series-per-flush': { type: 'string', default: '1000' },
    'prom-spread-ms': { type: 'string', default: '60000' },
    'change-driven': { type: 'string', default: 'true' },
    small: { type: 'boolean', default: false },
  },
});
/** `--small`: what a loaded machine can run in a few minutes; explicit flags still win. */
const SMALL: Readonly<Record<string, string>> = { crossings: '50', 'spread-ms': '15000', 'e2e-crossings': '20', 'e2e-spread-ms': '20000', 'prom-crossings': '4', 'prom-spread-ms': '20000' };
const given = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!));
const arg = (name: keyof typeof args & string): string => (args.small && !given.has(name) && SMALL[name] !== undefined ? SMALL[name]! : String(args[name]));
const crossings = Number(arg('crossings'));
const evalIntervalMs = Number(arg('eval-interval-ms'));
const spreadMs = Number(arg('spread-ms'));
const changeDriven = arg('change-driven') !== 'false';

/** The Redis-only phase: samples written straight into Redis, evaluated by an in-process alerter. */
async function runRedisPhase() {
  const namespace = `bench-${randomBytes(4).toString('hex')}.`;
  const env = { ...process.env, RINGTAIL_NAMESPACE: namespace };
  const receiver = await startFiringReceiver((labels) => labels.alertname);
  const arrivals = receiver.firstFiringAtMs;
  const dir = mkdtempSync(join(tmpdir(), 'ringtail-bench-'));
  const rulesFile = join(dir, 'rules.yaml');
  const rules = Array.from(
    { length: RULES },
    (_, i) => `  - { alert: Bench${i}, selector: 'bench_m${i}{job="bench"}', aggregation: max, window: 1m, op: '>', threshold: 100 }`,
  );
  writeFileSync(rulesFile, `receivers:\n  - { name: bench, url: '${receiver.receiver.url}', secrets: ['${SECRET}'], group_wait: 0s }\nrules:\n${rules.join('\n')}\n`);

  const config = loadConfig({ ...env, RULES_FILE: rulesFile, EVAL_INTERVAL_MS: String(evalIntervalMs), CHANGE_DRIVEN_EVALUATION: String(changeDriven), LOG_LEVEL: 'warn' });
  const redis = createSentinelClient(config.redis, 'alerter-bench', 10_000);
  let alerter: RunningAlerter | undefined;
  try {
    const writer = new WindowWriter(redis, namespace);
    const quiet: Sample[] = [];
    for (let r = 0; r < RULES; r++) for (let h = 0; h < SERIES_PER_RULE; h++) quiet.push({ name: `bench_m${r}`, labels: { job: 'bench', host: `h${h}` }, value: 10, timestampMs: Date.now() });
    for (let i = 0; i < quiet.length; i += 1000) await writer.write(quiet.slice(i, i + 1000));

    const running = (alerter = await startAlerter(config, pino({ level: 'warn' })));
    const metric = async (name: string) => metricValue(await scrapeMetrics(running.port), name) ?? NaN;
    // Warm up: two full ticks so the first crossing does not pay for connection setup.
    await eventually('two evaluations', 120_000, async () => (await metric('ringtail_alerter_evaluations_total')) >= 2);

    const written = new Map<string, number>();
    const order = Array.from({ length: RULES }, (_, i) => i).sort(() => Math.random() - 0.5).slice(0, crossings);
    const startedMs = Date.now();
    const plan = order.map((rule) => ({ rule, atMs: startedMs + Math.random() * spreadMs })).sort((a, b) => a.atMs - b.atMs);
    const evalSamples: number[] = [];
    for (const { rule, atMs } of plan) {
      await sleep(Math.max(0, atMs - Date.now()));
      const host = `h${Math.floor(Math.random() * SERIES_PER_RULE)}`;
      await writer.write([{ name: `bench_m${rule}`, labels: { job: 'bench', host }, value: 1000, timestampMs: Date.now() }]);
      written.set(`Bench${rule}`, Date.now());
      evalSamples.push(await metric('ringtail_alerter_last_evaluation_duration_ms'));
    }
    const deadline = Date.now() + evalIntervalMs * 4 + 10_000;
    while (arrivals.size < written.size && Date.now() < deadline) await sleep(100);

    const latencies = [...written].map(([name, at]) => (arrivals.get(name) ?? Infinity) - at).sort((a, b) => a - b);
    const evalSum = await metric('ringtail_alerter_evaluation_duration_ms_sum');
    const evalCount = await metric('ringtail_alerter_evaluation_duration_ms_count');
    return {
      rules: RULES,
      series: RULES * SERIES_PER_RULE,
      evalIntervalMs,
      evaluations: evalCount,
      evalMs: Math.round(evalSum / evalCount),
      evalMsMax: Math.round(Math.max(...evalSamples)),
      crossings: written.size,
      delivered: [...written.keys()].filter((n) => arrivals.has(n)).length,
      p50AlertLatencyMs: Math.round(percentile(latencies, 50)),
      p99AlertLatencyMs: Math.round(percentile(latencies, 99)),
      maxAlertLatencyMs: Math.round(latencies.at(-1)!),
      targetMs: evalIntervalMs + 1000,
    };
  } finally {
    await alerter?.stop();
    await receiver.receiver.stop();
    for await (const keys of redis.scanStream({ match: `{rt:${namespace}}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const index = runIndexPhase(Number(arg('index-series-per-flush')));
  const result = await runRedisPhase();
  const e2eCrossings = Number(arg('e2e-crossings'));
  const e2e =
    e2eCrossings > 0
      ? await runPipelinePhase({
          evalIntervalMs,
          changeDriven,
          crossings: e2eCrossings,
          spreadMs: Number(arg('e2e-spread-ms')),
          loadSamplesPerSec: Number(arg('e2e-load-per-sec')),
          loadSeries: Number(arg('e2e-load-series')),
          fillerRules: Number(arg('e2e-filler-rules')),
          secret: SECRET,
        })
      : {};
  const promCrossings = Number(arg('prom-crossings'));
  const prom = promCrossings > 0 ? await runPrometheusPhase({ crossings: promCrossings, spreadMs: Number(arg('prom-spread-ms')) }) : {};
  const all = { changeDriven, ...index, ...result, ...e2e, ...prom };
  process.stdout.write(args.json ? `${JSON.stringify(all)}\n` : `${JSON.stringify(all, null, 2)}\n`);
}

await main();
