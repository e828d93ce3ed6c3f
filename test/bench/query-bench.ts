/**
 * Query benchmark (not a test): a Grafana-like dashboard — 10 panels, each a
 * range query over 1 h at a 10 s step, run concurrently as Grafana runs them —
 * against Ringtail's query API with `--series` series in store (10 metrics of
 * series/10 series, a sample every 10 s for the hour), and in the same run the
 * very same queries against a real Prometheus (Debian's) holding the same
 * samples (remote-written into its receiver). Ringtail's windows are written
 * straight into Redis in the shard worker's layout (the alerter bench's
 * WindowWriter; only the 10s resolution, the one a 10 s step reads), so only
 * querying is measured. The answers of both are compared too.
 *
 * Prints one JSON object: per query type p50/p99 latency (ms) of Ringtail and
 * of Prometheus and the ratio of p99s (Ringtail / Prometheus; target ≤ 1), the
 * dashboard's wall time for each, where Ringtail's time goes for one panel
 * (series lookup, window reads, evaluation), answersEqual, and the load average.
 *
 *   npm run bench:query -- --json [--series 10000] [--iterations 5] [--concurrency 10]
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { percentile, prng } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, redisKeys } from '@ringtail/model';
import { evaluate, parsePromql, RedisWindowSource, type WindowSource } from '@ringtail/promql';
import { SeriesCache } from '@ringtail/query';
import { createSentinelClient } from '@ringtail/runtime';
import { HostMetricsAgents, loadStackSettings, ServiceProcess, stackUp } from '@ringtail/stack';
import { WindowWriter, type Sample } from '../../services/alerter/bench/window-writer.ts';
import { REMOTE_WRITE_HEADERS, snappy, writeRequestBytes, type SeriesSamples } from '../support/gateway.ts';
import { stackEnv } from '../support/stack-env.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    series: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    seed: { type: 'string', default: '13' },
  },
});
const SERIES = Number(args.series);
const ITERATIONS = Number(args.iterations);
const CONCURRENCY = Number(args.concurrency);
const METRICS = 10;
const STEP_S = 10;
const RANGE_S = 3600;
const REDIS_WRITES_IN_FLIGHT = 4;
const LOG_DIR = new URL('../../.cache/bench-logs', import.meta.url).pathname;

const log = (line: string) => process.stderr.write(`[bench:query] ${line}\n`);

/** The dashboard: one range query per panel, the mix Grafana dashboards hold. */
const PANELS: Readonly<Record<string, string>> = {
  sum_rate: 'sum(rate(bench_requests_total[1m]))',
  sum_by_rate: 'sum by (job) (rate(bench_bytes_total[1m]))',
  topk_rate: 'topk(5, rate(bench_errors_total[1m]))',
  avg_gauge: 'avg(bench_cpu_ratio)',
  max_by_gauge: 'max by (job) (bench_memory_bytes)',
  ratio_of_sums: 'sum by (job) (rate(bench_errors_total[1m])) / sum by (job) (rate(bench_requests_total[1m]))',
  count_compare: 'count(bench_queue_depth > 50)',
  avg_over_time: 'avg_over_time(bench_temperature{job="job-3"}[1m])',
  selector: 'bench_up{instance="i-7"}',
  increase: 'increase(bench_packets_total{job=~"job-[0-4]"}[5m])',
};
const COUNTERS = ['bench_requests_total', 'bench_bytes_total', 'bench_errors_total', 'bench_packets_total', 'bench_restarts_total'];
const GAUGES = ['bench_cpu_ratio', 'bench_memory_bytes', 'bench_queue_depth', 'bench_temperature', 'bench_up'];

interface SeriesState {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly counter: boolean;
  value: number;
}

function seriesSet(): SeriesState[] {
  const perMetric = Math.floor(SERIES / METRICS);
  return [...COUNTERS, ...GAUGES].flatMap((name) =>
    Array.from({ length: perMetric }, (_, i) => ({ name, labels: { job: `job-${i % 10}`, instance: `i-${Math.floor(i / 10)}` }, counter: COUNTERS.includes(name), value: 0 })),
  );
}

/** The samples of every series at `timestampMs`: counters rise, gauges wander in [0, 100]. */
function step(series: SeriesState[], random: () => number, timestampMs: number): Sample[] {
  return series.map((s) => {
    s.value = s.counter ? s.value + Math.floor(random() * 100) : s.name === 'bench_up' ? 1 : Math.round(random() * 10_000) / 100;
    return { name: s.name, labels: s.labels, value: s.value, timestampMs };
  });
}

/** Writes the same samples to Redis (windows, several batches in flight) and to Prometheus (in time order, as its TSDB needs). */
async function loadData(redis: Redis, namespace: string, prometheusWriteUrl: string, endMs: number): Promise<number> {
  const random = prng(Number(args.seed));
  const series = seriesSet();
  const indexed = new Set<string>();
  const redisWrites = new Set<Promise<void>>();
  let samples = 0;
  // 3 s into each window: no sample sits on a window boundary (see services/query/README.md).
  for (let t = endMs - RANGE_S * 1000 + 3000; t < endMs; t += STEP_S * 1000) {
    const batch = step(series, random, t);
    const write: Promise<void> = new WindowWriter(redis, namespace, [DEFAULT_RESOLUTIONS[0]!], indexed).write(batch).finally(() => redisWrites.delete(write));
    redisWrites.add(write);
    const body = snappy(writeRequestBytes(batch.map((s): SeriesSamples => ({ name: s.name, labels: s.labels, samples: [{ value: s.value, timestamp: s.timestampMs }] }))));
    const res = await fetch(prometheusWriteUrl, { method: 'POST', body, headers: REMOTE_WRITE_HEADERS });
    if (!res.ok) throw new Error(`Prometheus refused samples at ${t}: ${res.status} ${await res.text()}`);
    if (redisWrites.size >= REDIS_WRITES_IN_FLIGHT) await Promise.race(redisWrites);
    samples += batch.length;
  }
  await Promise.all(redisWrites);
  return samples;
}

interface Matrix {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

async function rangeQuery(baseUrl: string, query: string, startS: number, endS: number): Promise<{ ms: number; result: Matrix[] }> {
  const t = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, start: String(startS), end: String(endS), step: String(STEP_S) }).toString(),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Matrix[] } };
  const ms = performance.now() - t;
  if (body.status !== 'success') throw new Error(`${baseUrl} ${query}: ${res.status} ${body.error}`);
  return { ms, result: body.data!.result };
}

/** Runs the dashboard `ITERATIONS` times, `CONCURRENCY` panels at once; latencies per panel and the wall time of each run. */
async function dashboard(baseUrl: string, startS: number, endS: number): Promise<{ latencies: Record<string, number[]>; wallMs: number[]; answers: Record<string, Matrix[]> }> {
  const latencies: Record<string, number[]> = Object.fromEntries(Object.keys(PANELS).map((k) => [k, []]));
  const answers: Record<string, Matrix[]> = {};
  const wallMs: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const queue = Object.entries(PANELS);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [name, query] = next;
          const { ms, result } = await rangeQuery(baseUrl, query, startS, endS);
          latencies[name]!.push(ms);
          answers[name] = result;
        }
      }),
    );
    wallMs.push(performance.now() - started);
  }
  return { latencies, wallMs, answers };
}

function mismatches(a: Matrix[], b: Matrix[]): number {
  const points = (m: Matrix[]) => new Map(m.flatMap((s) => s.values.map(([t, v]) => [`${JSON.stringify(Object.entries(s.metric).sort())}@${t}`, Number(v)] as const)));
  const pa = points(a);
  const pb = points(b);
  let bad = 0;
  for (const [k, v] of pb) {
    const got = pa.get(k);
    if (got === undefined || Math.abs(got - v) > 1e-9 * Math.max(Math.abs(got), Math.abs(v))) bad += 1;
  }
  return bad + [...pa.keys()].filter((k) => !pb.has(k)).length;
}

/** One panel evaluated in this process with the reads timed: where Ringtail's time goes. */
async function profile(redis: Redis, namespace: string, query: string, startS: number, endS: number): Promise<Record<string, number>> {
  const inner = new RedisWindowSource(redis, redisKeys(namespace), new SeriesCache(SERIES));
  const spent = { seriesLookupMs: 0, windowReadsMs: 0, windowsRead: 0 };
  const timed: WindowSource = {
    series: async (m) => {
      const t = performance.now();
      const out = await inner.series(m);
      spent.seriesLookupMs += performance.now() - t;
      return out;
    },
    windows: async (ids, r, from, to) => {
      const t = performance.now();
      const out = await inner.windows(ids, r, from, to);
      spent.windowReadsMs += performance.now() - t;
      spent.windowsRead += out.length;
      return out;
    },
  };
  const t = performance.now();
  await evaluate(timed, {
    expr: parsePromql(query),
    startMs: startS * 1000,
    endMs: endS * 1000,
    stepMs: STEP_S * 1000,
    nowMs: Date.now(),
    resolutions: DEFAULT_RESOLUTIONS,
    limits: { maxSeries: SERIES, maxWindows: 50_000_000, lookbackMs: 300_000 },
    checkDeadline: () => undefined,
  });
  const totalMs = performance.now() - t;
  return { totalMs: round(totalMs), seriesLookupMs: round(spent.seriesLookupMs), windowReadsMs: round(spent.windowReadsMs), evaluationMs: round(totalMs - spent.seriesLookupMs - spent.windowReadsMs), windowsRead: spent.windowsRead };
}

const round = (x: number) => Math.round(x * 10) / 10;

const settings = loadStackSettings(process.env);
const { endpoints } = await stackUp(settings);
const namespace = `bench-query-${randomBytes(3).toString('hex')}`;
const redis = createSentinelClient({ sentinels: endpoints.sentinels, masterName: endpoints.sentinelMasterName }, 'bench-query', 60_000);
const promDir = join(settings.topology.cacheDir, 'bench-prometheus', namespace);
const prometheus = new HostMetricsAgents({ dir: promDir, scrapeNodeExporter: false, enableRemoteWriteReceiver: true });
const query = new ServiceProcess({ name: `${namespace}-query`, entry: 'services/query/src/main.ts', env: { ...stackEnv(endpoints, namespace), QUERY_MAX_WINDOWS: '50000000' }, logDir: LOG_DIR });
try {
  await Promise.all([prometheus.start(), query.start(60_000)]);
  const endMs = Math.floor(Date.now() / (STEP_S * 1000)) * STEP_S * 1000;
  const loadStarted = performance.now();
  const samples = await loadData(redis, namespace, `${prometheus.prometheusUrl}/api/v1/write`, endMs);
  log(`${samples} samples over ${SERIES} series in Redis and Prometheus in ${Math.round((performance.now() - loadStarted) / 1000)} s`);
  const endS = endMs / 1000;
  const startS = endS - RANGE_S;
  const ringtailUrl = `http://127.0.0.1:${query.port}`;
  // One warm-up run each: the series cache and Prometheus' page cache, as on a dashboard someone has open.
  await rangeQuery(ringtailUrl, PANELS.selector!, startS, endS);
  await rangeQuery(prometheus.prometheusUrl, PANELS.selector!, startS, endS);
  const ours = await dashboard(ringtailUrl, startS, endS);
  log('Ringtail dashboard runs done');
  const theirs = await dashboard(prometheus.prometheusUrl, startS, endS);
  const perQuery: Record<string, unknown> = {};
  let unequal = 0;
  for (const name of Object.keys(PANELS)) {
    const a = [...ours.latencies[name]!].sort((x, y) => x - y);
    const b = [...theirs.latencies[name]!].sort((x, y) => x - y);
    const bad = mismatches(ours.answers[name]!, theirs.answers[name]!);
    unequal += bad;
    perQuery[name] = {
      query: PANELS[name],
      ringtailP50Ms: round(percentile(a, 50)),
      ringtailP99Ms: round(percentile(a, 99)),
      prometheusP50Ms: round(percentile(b, 50)),
      prometheusP99Ms: round(percentile(b, 99)),
      ratioP99: round(percentile(a, 99) / percentile(b, 99)),
      pointsUnequal: bad,
    };
  }
  const result = {
    series: SERIES,
    samples,
    panels: Object.keys(PANELS).length,
    rangeS: RANGE_S,
    stepS: STEP_S,
    iterations: ITERATIONS,
    concurrency: CONCURRENCY,
    perQuery,
    dashboardWallMs: {
      ringtailP50: round(percentile([...ours.wallMs].sort((x, y) => x - y), 50)),
      prometheusP50: round(percentile([...theirs.wallMs].sort((x, y) => x - y), 50)),
    },
    ringtailTimeSpent: { query: PANELS.sum_rate, ...(await profile(redis, namespace, PANELS.sum_rate!, startS, endS)) },
    answersEqual: unequal === 0,
    loadAverage: loadavg().map(round),
  };
  process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await query.stop();
  await prometheus.stop();
  rmSync(promDir, { recursive: true, force: true });
  const keys = await redis.keys(`*${namespace}*`);
  for (let i = 0; i < keys.length; i += 10_000) await redis.del(...keys.slice(i, i + 10_000));
  redis.disconnect();
}
