import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, decodeWindowHash, redisKeys, windowValues } from '@ringtail/model';
import { querySeries } from '@ringtail/query';
import { HostMetricsAgents, loadStackSettings, type ServiceProcess } from '@ringtail/stack';
import { correctlyRoundedSum } from '../support/correctly-rounded-sum.ts';
import { eventually } from '../support/fixtures.ts';
import { startGatewayPipeline, type GatewayPipeline } from '../support/gateway.ts';
import type { PipelineUnderTest } from '../support/pipeline.ts';

const WINDOW = DEFAULT_RESOLUTIONS[0]!;
const SCRAPE_INTERVAL_S = 5;

interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

interface Expected {
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
}

/** What Prometheus' own TSDB holds for one window: every raw sample of every node_* series of `job`. */
async function storedWindow(prometheusUrl: string, job: string, startMs: number): Promise<Map<string, { name: string; labels: Record<string, string>; expected: Expected }>> {
  // Prometheus 2.x range selectors include both ends: [start, start + step - 1 ms] is exactly the window.
  const range = `${WINDOW.stepMs - 1}ms`;
  const query = `{__name__=~"node_.+",job="${job}"}[${range}]`;
  const at = (startMs + WINDOW.stepMs - 1) / 1000;
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}&time=${at}`);
  const body = (await res.json()) as { status: string; data: { result: PromSeries[] } };
  expect(body.status).toBe('success');
  const out = new Map<string, { name: string; labels: Record<string, string>; expected: Expected }>();
  for (const s of body.data.result) {
    const { __name__: name, ...labels } = s.metric;
    // Non-finite values are refused by Ringtail (400 to Prometheus): they are not in its windows.
    const samples = s.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) })).filter((x) => Number.isFinite(x.v));
    if (samples.length === 0) continue;
    samples.sort((a, b) => a.t - b.t);
    const vs = samples.map((x) => (x.v === 0 ? 0 : x.v));
    out.set(JSON.stringify(s.metric), {
      name: name!,
      labels,
      expected: { count: vs.length, sum: correctlyRoundedSum(vs), min: Math.min(...vs), max: Math.max(...vs), first: vs[0]!, last: vs.at(-1)! },
    });
  }
  return out;
}

describe('gateway: a real Prometheus scraping a real node_exporter', () => {
  let bed: GatewayPipeline;
  let pipeline: PipelineUnderTest;
  let gateway: ServiceProcess;
  let agents: HostMetricsAgents;
  let startedMs = 0;

  beforeAll(async () => {
    bed = await startGatewayPipeline('gwprom', { GATEWAY_BEARER_TOKENS: 'prom-token' });
    ({ pipeline, gateway } = bed);
    const namespace = pipeline.opts.namespace;
    const cacheDir = loadStackSettings(process.env).topology.cacheDir;
    agents = new HostMetricsAgents({
      dir: join(cacheDir, 'test-prometheus', namespace),
      remoteWriteUrl: `http://127.0.0.1:${gateway.port}/api/v1/write`,
      bearerToken: 'prom-token',
      scrapeIntervalS: SCRAPE_INTERVAL_S,
      job: 'node',
    });
    await agents.start();
    startedMs = Date.now();
  });

  afterAll(async () => {
    await agents?.stop();
    if (agents) rmSync(agents.dir, { recursive: true, force: true });
    await bed?.stop();
  });

  it('holds, for every node_* series, the same count, sum, min, max, first and last in a window as Prometheus stored', async () => {
    // The first window that starts after Prometheus' first scrape reached Ringtail; read once it ended.
    // (The first scrape's time within the interval is Prometheus' choice.)
    const firstScrapeMs = await eventually('a first scrape in Redis', 30_000, async () => {
      const rows = await querySeries(pipeline.redis, redisKeys(pipeline.opts.namespace), `up{job="${agents.job}"}`, { fromMs: startedMs - 60_000, toMs: Date.now() + 1000 });
      return rows[0]?.points[0]?.firstTsMs;
    });
    const startMs = Math.ceil((firstScrapeMs + 1) / WINDOW.stepMs) * WINDOW.stepMs;
    const waitMs = startMs + WINDOW.stepMs + 2000 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    const stored = await storedWindow(agents.prometheusUrl, agents.job, startMs);
    expect(stored.size).toBeGreaterThan(100);
    expect([...stored.values()].some((s) => s.name === 'node_load1')).toBe(true);

    const keys = redisKeys(pipeline.opts.namespace);
    const compare = async (): Promise<string[]> => {
      const mismatches: string[] = [];
      const entries = [...stored.values()];
      const replies = await Promise.all(
        entries.map((s) => pipeline.redis.hgetall(keys.window(pipeline.seriesId({ name: s.name, labels: s.labels, value: 0, timestamp: startMs }), WINDOW.name, startMs))),
      );
      entries.forEach((s, i) => {
        const reading = decodeWindowHash(replies[i]!);
        const got = reading ? windowValues(startMs, reading) : null;
        const want = s.expected;
        const same = got !== null && got.count === want.count && got.sum === want.sum && got.min === want.min && got.max === want.max && got.first === want.first && got.last === want.last;
        if (!same) mismatches.push(`${s.name}${JSON.stringify(s.labels)}: want ${JSON.stringify(want)} got ${JSON.stringify(got && { count: got.count, sum: got.sum, min: got.min, max: got.max, first: got.first, last: got.last })}`);
      });
      return mismatches;
    };
    await eventually('Redis windows equal to Prometheus', 60_000, async () => ((await compare()).length === 0 ? true : undefined), 500).catch(() => undefined);
    const mismatches = await compare();
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Two scrapes per window at 5 s, fewer only when a scrape was late on a loaded machine.
    const scrapes = Math.max(...[...stored.values()].map((s) => s.expected.count));
    expect(scrapes).toBeGreaterThanOrEqual(1);
    expect(scrapes).toBeLessThanOrEqual(WINDOW.stepMs / 1000 / SCRAPE_INTERVAL_S);
    process.stdout.write(`[gateway-prometheus] ${stored.size} node_* series equal in window ${startMs} (${scrapes} scrapes)\n`);
  });
});
