import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostMetricsAgents, loadStackSettings, type ServiceProcess } from '@ringtail/stack';
import { eventually } from '../support/fixtures.ts';
import { startGatewayPipeline, type GatewayPipeline } from '../support/gateway.ts';
import { apiGet, queryApiProcess } from '../support/query-api.ts';

const run = promisify(execFile);
const SCRAPE_INTERVAL_S = 5;
const STEP_S = 10;
const POINTS = 7;
/** Range selectors of the queries: [30s] needs data from 30 s before the first evaluation time. */
const LEAD_S = 40;

interface MatrixSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

const close = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
const key = (metric: Record<string, string>) => JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Mismatches between two matrices, times in `skipS` (a raw sample exactly on the evaluation time, see the README) left out. */
function diffMatrix(query: string, ours: readonly MatrixSeries[], theirs: readonly MatrixSeries[], skipS: ReadonlySet<number>): string[] {
  const points = (m: readonly MatrixSeries[]) => {
    const out = new Map<string, number>();
    for (const s of m) for (const [t, v] of s.values) if (!skipS.has(t)) out.set(`${key(s.metric)}@${t}`, Number(v));
    return out;
  };
  const a = points(ours);
  const b = points(theirs);
  const problems: string[] = [];
  for (const [k, v] of b) {
    const got = a.get(k);
    if (got === undefined) problems.push(`${query}: missing ${k} (Prometheus ${v})`);
    else if (!close(got, v)) problems.push(`${query}: ${k} Ringtail ${got} Prometheus ${v}`);
  }
  for (const k of a.keys()) if (!b.has(k)) problems.push(`${query}: extra ${k}`);
  return problems;
}

describe('query API: PromQL answers equal to a real Prometheus holding the same samples', () => {
  let bed: GatewayPipeline;
  let agents: HostMetricsAgents;
  let query: ServiceProcess;
  let limited: ServiceProcess;
  let ringtail = '';
  let job = '';

  beforeAll(async () => {
    bed = await startGatewayPipeline('qprom', { GATEWAY_BEARER_TOKENS: 'prom-token' });
    const namespace = bed.pipeline.opts.namespace;
    agents = new HostMetricsAgents({
      dir: join(loadStackSettings(process.env).topology.cacheDir, 'test-prometheus', namespace),
      remoteWriteUrl: `http://127.0.0.1:${bed.gateway.port}/api/v1/write`,
      bearerToken: 'prom-token',
      scrapeIntervalS: SCRAPE_INTERVAL_S,
      job: `node-${namespace}`,
    });
    job = agents.job;
    query = queryApiProcess(`${namespace}query`, bed.pipeline.env);
    limited = queryApiProcess(`${namespace}query-limited`, { ...bed.pipeline.env, QUERY_MAX_SERIES: '3', QUERY_MAX_WINDOWS: '50', QUERY_MAX_POINTS_PER_SERIES: '100' });
    await Promise.all([agents.start(), query.start(60_000), limited.start(60_000)]);
    ringtail = `http://127.0.0.1:${query.port}`;
  });

  afterAll(async () => {
    await query?.stop();
    await limited?.stop();
    await agents?.stop();
    if (agents) rmSync(agents.dir, { recursive: true, force: true });
    await bed?.stop();
  });

  /** Scrape times Prometheus stored (every series of a scrape shares its timestamp), seconds. */
  async function scrapeTimesS(): Promise<number[]> {
    const { body } = await apiGet(agents.prometheusUrl, '/api/v1/query', { query: `up{job="${job}"}[10m]` });
    const result = (body.data as { result: MatrixSeries[] }).result;
    return (result[0]?.values ?? []).map(([t]) => t);
  }

  it('answers instant and range queries like Prometheus at window-aligned times and steps', async () => {
    const firstS = await eventually('a first scrape in Prometheus', 30_000, async () => (await scrapeTimesS())[0]);
    const startS = Math.ceil((firstS + LEAD_S) / STEP_S) * STEP_S;
    const endS = startS + (POINTS - 1) * STEP_S;
    // Every sample up to endS is in both stores once Prometheus scraped past it and remote write delivered it.
    await eventually('scrapes past the last evaluation time', 180_000, async () => ((await scrapeTimesS()).some((t) => t > endS + SCRAPE_INTERVAL_S) ? true : undefined), 1000);
    // Prometheus 2.x ranges include a sample exactly at their end; a window starting there cannot be split (README).
    // With `offset 10s` such a scrape matters one step later too.
    const onBoundary = new Set((await scrapeTimesS()).filter((t) => Number.isInteger(t / STEP_S)).flatMap((t) => [t, t + STEP_S]));
    const J = `job="${job}"`;
    const queries = [
      `node_load1{${J}}`,
      `node_cpu_seconds_total{${J},mode!="idle"}`,
      `node_cpu_seconds_total{${J},mode=~"user|system"}`,
      `node_network_receive_bytes_total{${J},device!~"lo|eth.*"}`,
      `node_load1{${J}} offset 10s`,
      `rate(node_cpu_seconds_total{${J}}[30s])`,
      `increase(node_network_receive_packets_total{${J}}[30s])`,
      `delta(node_memory_MemFree_bytes{${J}}[30s])`,
      `avg_over_time(node_memory_MemFree_bytes{${J}}[30s])`,
      `min_over_time(node_load1{${J}}[30s])`,
      `max_over_time(node_load1{${J}}[30s])`,
      `sum_over_time(node_memory_Active_bytes{${J}}[30s])`,
      `count_over_time(node_load1{${J}}[30s])`,
      `last_over_time(node_memory_MemFree_bytes{${J}}[30s])`,
      `sum by (mode) (rate(node_cpu_seconds_total{${J}}[30s]))`,
      `avg without (cpu) (rate(node_cpu_seconds_total{${J}}[30s] offset 10s))`,
      `max by (mode) (node_cpu_seconds_total{${J}}) - min by (mode) (node_cpu_seconds_total{${J}})`,
      `count(node_cpu_seconds_total{${J}})`,
      `100 * node_memory_MemAvailable_bytes{${J}} / node_memory_MemTotal_bytes{${J}}`,
      `node_cpu_seconds_total{${J}} / on(instance) group_left node_load15{${J}}`,
      `rate(node_cpu_seconds_total{${J}}[30s]) > bool 0.01`,
      `node_load1{${J}} >= 0`,
      `topk(3, node_cpu_seconds_total{${J}})`,
      // Values that tie (idle CPUs with zero rates) may be kept in another order than Prometheus keeps them: none here.
      `bottomk(1, node_cpu_seconds_total{${J},mode=~"idle|user|system"})`,
      `1 + 1`,
    ];

    const compareAll = async (): Promise<string[]> => {
      const problems: string[] = [];
      for (const q of queries) {
        const range = { query: q, start: String(startS), end: String(endS), step: String(STEP_S) };
        const [ours, theirs] = await Promise.all([apiGet(ringtail, '/api/v1/query_range', range), apiGet(agents.prometheusUrl, '/api/v1/query_range', range)]);
        expect(theirs.body.status, `${q} on Prometheus`).toBe('success');
        if (ours.status !== 200) {
          problems.push(`${q}: ${ours.status} ${ours.body.error}`);
          continue;
        }
        expect(ours.body.data).toMatchObject({ resultType: 'matrix' });
        problems.push(...diffMatrix(q, (ours.body.data as { result: MatrixSeries[] }).result, (theirs.body.data as { result: MatrixSeries[] }).result, onBoundary));
        for (const atS of [startS, endS]) {
          if (onBoundary.has(atS)) continue;
          const instant = { query: q, time: String(atS) };
          const [a, b] = await Promise.all([apiGet(ringtail, '/api/v1/query', instant, true), apiGet(agents.prometheusUrl, '/api/v1/query', instant)]);
          const da = a.body.data as { resultType: string; result: VectorSample[] | [number, string] };
          const db = b.body.data as { resultType: string; result: VectorSample[] | [number, string] };
          if (da?.resultType !== db.resultType) {
            problems.push(`${q}@${atS}: resultType ${da?.resultType} vs ${db.resultType}`);
            continue;
          }
          const asMatrix = (d: typeof da): MatrixSeries[] =>
            d.resultType === 'scalar' ? [{ metric: {}, values: [d.result as [number, string]] }] : (d.result as VectorSample[]).map((s) => ({ metric: s.metric, values: [s.value] }));
          problems.push(...diffMatrix(`${q}@${atS}`, asMatrix(da), asMatrix(db), new Set()));
        }
      }
      return problems;
    };
    // The last scrapes may still be on their way through Kafka and the shard flush.
    await eventually('answers equal to Prometheus', 60_000, async () => ((await compareAll()).length === 0 ? true : undefined), 1000).catch(() => undefined);
    const problems = await compareAll();
    expect(problems.slice(0, 20)).toEqual([]);
    process.stdout.write(`[query-prometheus] ${queries.length} queries equal at ${POINTS} steps from ${startS} (${onBoundary.size} evaluation times left out for scrapes on a window boundary)\n`);
  });

  it('answers label, series, metadata and buildinfo requests as Grafana reads them', async () => {
    const names = await apiGet(ringtail, '/api/v1/label/__name__/values', {});
    expect(names.status).toBe(200);
    expect(names.body.data).toEqual(expect.arrayContaining(['node_load1', 'node_cpu_seconds_total', 'up']));
    const match = { 'match[]': `node_cpu_seconds_total{job="${job}",mode="idle"}` };
    const [ours, theirs] = await Promise.all([apiGet(ringtail, '/api/v1/series', match), apiGet(agents.prometheusUrl, '/api/v1/series', match)]);
    expect(ours.status).toBe(200);
    const sortKeys = (xs: unknown) => (xs as Record<string, string>[]).map(key).sort();
    expect(sortKeys(ours.body.data)).toEqual(sortKeys(theirs.body.data));
    const labels = await apiGet(ringtail, '/api/v1/labels', match, true);
    expect(labels.body.data).toEqual(['__name__', 'cpu', 'instance', 'job', 'mode']);
    const modes = await apiGet(ringtail, '/api/v1/label/mode/values', { 'match[]': `node_cpu_seconds_total{job="${job}"}` });
    expect(modes.body.data).toEqual(expect.arrayContaining(['idle', 'system', 'user']));
    expect((await apiGet(ringtail, '/api/v1/metadata', {})).body).toEqual({ status: 'success', data: {} });
    expect((await apiGet(ringtail, '/api/v1/status/buildinfo', {})).body).toMatchObject({ status: 'success', data: { version: expect.any(String) } });
  });

  it('serves promtool query instant and query range with well-formed answers', async () => {
    const nowS = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S;
    const instant = await run('promtool', ['query', 'instant', '-o', 'json', `--time=${nowS - 30}`, ringtail, `sum(node_load1{job="${job}"})`], { timeout: 30_000 });
    const vector = JSON.parse(instant.stdout) as VectorSample[];
    expect(vector).toHaveLength(1);
    expect(Number.isFinite(Number(vector[0]!.value[1]))).toBe(true);
    const range = await run('promtool', ['query', 'range', '-o', 'json', `--start=${nowS - 60}`, `--end=${nowS - 20}`, '--step=10s', ringtail, `rate(node_cpu_seconds_total{job="${job}",mode="idle"}[30s])`], { timeout: 30_000 });
    const matrix = JSON.parse(range.stdout) as MatrixSeries[];
    expect(matrix.length).toBeGreaterThan(0);
    expect(matrix[0]!.values.length).toBeGreaterThan(0);
    const text = await run('promtool', ['query', 'instant', ringtail, '1+1'], { timeout: 30_000 });
    expect(text.stdout.trim()).toMatch(/^scalar: 2 @\[/);
    const bad = await run('promtool', ['query', 'instant', ringtail, 'sum(']).then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toContain('bad_data');
  });

  it('answers malformed and unsupported queries with Prometheus error types and statuses', async () => {
    const nowS = String(Math.floor(Date.now() / 1000));
    const cases: [string, Record<string, string>, number, string][] = [
      ['/api/v1/query', { query: 'sum(' }, 400, 'bad_data'],
      ['/api/v1/query', { query: 'up{job=~"("}' }, 400, 'bad_data'],
      ['/api/v1/query', { query: 'up', time: 'yesterday' }, 400, 'bad_data'],
      ['/api/v1/query_range', { query: 'up', start: nowS, end: nowS, step: '0' }, 400, 'bad_data'],
      ['/api/v1/query_range', { query: 'up', start: nowS, end: String(Number(nowS) - 10), step: '10' }, 400, 'bad_data'],
      ['/api/v1/query_range', { query: 'up[1m]', start: nowS, end: nowS, step: '10' }, 400, 'bad_data'],
      ['/api/v1/query', { query: `node_cpu_seconds_total{job="${job}"} / on() node_load1{job="${job}"}`, time: nowS }, 422, 'execution'],
    ];
    for (const [path, params, status, errorType] of cases) {
      const [ours, theirs] = await Promise.all([apiGet(ringtail, path, params), apiGet(agents.prometheusUrl, path, params)]);
      expect([ours.status, ours.body.status, ours.body.errorType], `${path} ${JSON.stringify(params)}: ${ours.body.error}`).toEqual([status, 'error', errorType]);
      expect([theirs.status, theirs.body.errorType], `Prometheus on ${JSON.stringify(params)}`).toEqual([status, errorType]);
      expect(ours.body.error).toEqual(expect.any(String));
    }
    const unsupported = await apiGet(ringtail, '/api/v1/query', { query: 'irate(up[1m])' });
    expect([unsupported.status, unsupported.body.errorType]).toEqual([400, 'bad_data']);
    expect(unsupported.body.error).toContain('irate');
  });

  it('refuses queries over its series, window and point limits, naming the setting', async () => {
    const limitedUrl = `http://127.0.0.1:${limited.port}`;
    const nowS = Math.floor(Date.now() / 1000);
    const series = await apiGet(limitedUrl, '/api/v1/query', { query: `node_cpu_seconds_total{job="${job}"}` });
    expect([series.status, series.body.errorType]).toEqual([422, 'execution']);
    expect(series.body.error).toContain('QUERY_MAX_SERIES');
    const windows = await apiGet(limitedUrl, '/api/v1/query', { query: `rate(node_load1{job="${job}"}[1h])` });
    expect([windows.status, windows.body.errorType]).toEqual([422, 'execution']);
    expect(windows.body.error).toContain('QUERY_MAX_WINDOWS');
    const points = await apiGet(limitedUrl, '/api/v1/query_range', { query: 'up', start: String(nowS - 3600), end: String(nowS), step: '10' });
    expect([points.status, points.body.errorType]).toEqual([400, 'bad_data']);
    expect(points.body.error).toContain('exceeded maximum resolution');
    expect(points.body.error).toContain('QUERY_MAX_POINTS_PER_SERIES');
    // Under the limits the same service answers.
    expect((await apiGet(limitedUrl, '/api/v1/query', { query: `node_load1{job="${job}"}` })).status).toBe(200);
  });
});
