import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS } from '@ringtail/model';
import { evaluate, EvaluationError, parsePromql, QueryLimitError, QueryTimeoutError, type EvaluationResult, type RangeFunctionName } from '@ringtail/promql';
import { testSeed } from '../../support/test-seed.ts';
import { MemoryWindowSource, type RawSeries } from './memory-window-source.ts';

const LIMITS = { maxSeries: 1000, maxWindows: 1_000_000, lookbackMs: 300_000 };
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);
const NOW = T0 + 3_600_000;

async function run(source: MemoryWindowSource, query: string, startMs: number, endMs = startMs, stepMs = 0, limits = LIMITS): Promise<EvaluationResult> {
  return evaluate(source, { expr: parsePromql(query), startMs, endMs, stepMs, nowMs: NOW, resolutions: DEFAULT_RESOLUTIONS, limits, checkDeadline: () => undefined });
}

function values(r: EvaluationResult): Record<string, number[]> {
  if (r.resultType === 'string') throw new Error('string');
  return Object.fromEntries(r.series.map((s) => [JSON.stringify(s.labels), s.points.map(([, v]) => v)]));
}

/** Prometheus 2.x over raw samples: the samples in [lo, hi], then extrapolatedRate or the *_over_time fold. */
function reference(func: RangeFunctionName, samples: readonly { t: number; v: number }[], lo: number, hi: number): number | undefined {
  const s = samples.filter((x) => x.t >= lo && x.t <= hi);
  if (s.length === 0) return undefined;
  const vs = s.map((x) => x.v);
  switch (func) {
    case 'count_over_time':
      return s.length;
    case 'sum_over_time':
      return vs.reduce((a, b) => a + b, 0);
    case 'avg_over_time':
      return vs.reduce((a, b) => a + b, 0) / vs.length;
    case 'min_over_time':
      return Math.min(...vs);
    case 'max_over_time':
      return Math.max(...vs);
    case 'last_over_time':
      return vs.at(-1);
    default: {
      if (s.length < 2) return undefined;
      const isCounter = func !== 'delta';
      let result = vs.at(-1)! - vs[0]!;
      if (isCounter) {
        let last = 0;
        for (const v of vs) {
          if (v < last) result += last;
          last = v;
        }
      }
      let toStart = (s[0]!.t - lo) / 1000;
      const toEnd = (hi - s.at(-1)!.t) / 1000;
      const sampled = (s.at(-1)!.t - s[0]!.t) / 1000;
      const avg = sampled / (s.length - 1);
      if (isCounter && result > 0 && vs[0]! >= 0) toStart = Math.min(toStart, sampled * (vs[0]! / result));
      const th = avg * 1.1;
      const interval = sampled + (toStart < th ? toStart : avg / 2) + (toEnd < th ? toEnd : avg / 2);
      result *= interval / sampled;
      return func === 'rate' ? result / ((hi - lo) / 1000) : result;
    }
  }
}

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

describe('evaluate', () => {
  it('answers 1+1 with the scalar 2 (Grafana health check)', async () => {
    const r = await run(new MemoryWindowSource([]), '1+1', NOW);
    expect(r).toEqual({ resultType: 'scalar', series: [{ labels: {}, points: [[NOW, 2]] }] });
  });

  it('equals Prometheus on raw samples for every range function at window-aligned times, counter resets between windows included', () => {
    const seed = testSeed('promql-range-functions');
    const funcs: RangeFunctionName[] = ['rate', 'increase', 'delta', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time'];
    return fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...funcs),
        fc.constantFrom('1m', '5m', '30s'),
        fc.integer({ min: 1000, max: 15_000 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 200 }),
        fc.integer({ min: 0, max: 9 }),
        async (func, range, intervalMs, increments, resetEvery) => {
          // A counter scraped every intervalMs; resets happen only at minute boundaries, so between windows of every
          // resolution these ranges read (services/query/README.md says what Ringtail answers for a reset inside one).
          const samples: { t: number; v: number }[] = [];
          let v = 0;
          let t = T0 + 7;
          for (const inc of increments) {
            const boundary = Math.floor(t / 60_000) !== Math.floor((t + intervalMs) / 60_000);
            t += intervalMs;
            v = resetEvery > 0 && boundary && samples.length % resetEvery === 0 ? inc : v + inc;
            samples.push({ t, v });
          }
          const source = new MemoryWindowSource([{ labels: { __name__: 'c', job: 'a' }, samples }]);
          const rangeMs = range === '1m' ? 60_000 : range === '5m' ? 300_000 : 30_000;
          const start = T0 + 60_000;
          const end = T0 + 3_600_000;
          const r = values(await run(source, `${func}(c[${range}])`, start, end, 60_000));
          const got = Object.values(r)[0] ?? [];
          const want: number[] = [];
          for (let at = start; at <= end; at += 60_000) {
            const x = reference(func, samples.filter((s) => s.t !== at), at - rangeMs, at);
            if (x !== undefined) want.push(x);
          }
          expect(got.length).toBe(want.length);
          got.forEach((g, i) => expect(close(g, want[i]!), `${func} step ${i}: ${g} vs ${want[i]}`).toBe(true));
        },
      ),
      { seed, numRuns: 150 },
    );
  });

  it('takes the latest sample within the lookback for an instant selector, nothing once it is older', async () => {
    const source = new MemoryWindowSource([{ labels: { __name__: 'g', job: 'a' }, samples: [{ t: T0 + 1000, v: 5 }, { t: T0 + 61_000, v: 7 }] }]);
    expect(values(await run(source, 'g', T0 + 120_000))).toEqual({ '{"__name__":"g","job":"a"}': [7] });
    expect(values(await run(source, 'g offset 1m', T0 + 120_000))).toEqual({ '{"__name__":"g","job":"a"}': [5] });
    expect(values(await run(source, 'g', T0 + 61_000 + 300_001 + 10_000))).toEqual({});
  });

  it('aggregates by and without, and keeps the top and bottom k with their labels', async () => {
    const at = T0 + 20_000;
    const series: RawSeries[] = [1, 2, 3, 4].map((v) => ({ labels: { __name__: 'm', job: v % 2 ? 'odd' : 'even', i: String(v) }, samples: [{ t: T0 + 1, v }] }));
    const source = new MemoryWindowSource(series);
    expect(values(await run(source, 'sum by (job) (m)', at))).toEqual({ '{"job":"odd"}': [4], '{"job":"even"}': [6] });
    expect(values(await run(source, 'max without (i) (m)', at))).toEqual({ '{"job":"odd"}': [3], '{"job":"even"}': [4] });
    expect(values(await run(source, 'count(m)', at))).toEqual({ '{}': [4] });
    expect(values(await run(source, 'avg(m)', at))).toEqual({ '{}': [2.5] });
    expect(values(await run(source, 'min(m)', at))).toEqual({ '{}': [1] });
    expect(Object.keys(values(await run(source, 'topk(2, m)', at)))).toEqual(['{"__name__":"m","job":"even","i":"4"}', '{"__name__":"m","job":"odd","i":"3"}']);
    expect(Object.keys(values(await run(source, 'bottomk(1, m)', at)))).toEqual(['{"__name__":"m","job":"odd","i":"1"}']);
  });

  it('keeps, among equal values, the series Prometheus keeps: the first in label order', async () => {
    const source = new MemoryWindowSource(['3', '1', '2'].map((i) => ({ labels: { __name__: 'm', i }, samples: [{ t: T0 + 1, v: 5 }] })));
    expect(Object.keys(values(await run(source, 'topk(2, m)', T0 + 20_000)))).toEqual(['{"__name__":"m","i":"1"}', '{"__name__":"m","i":"2"}']);
    expect(Object.keys(values(await run(source, 'bottomk(1, m)', T0 + 20_000)))).toEqual(['{"__name__":"m","i":"1"}']);
  });

  it('applies operators between vectors and scalars with Prometheus matching and name rules', async () => {
    const at = T0 + 20_000;
    const source = new MemoryWindowSource([
      { labels: { __name__: 'a', job: 'x', i: '1' }, samples: [{ t: T0 + 1, v: 10 }] },
      { labels: { __name__: 'a', job: 'y', i: '2' }, samples: [{ t: T0 + 1, v: 20 }] },
      { labels: { __name__: 'b', job: 'x', i: '1' }, samples: [{ t: T0 + 1, v: 2 }] },
      { labels: { __name__: 'n', job: 'x' }, samples: [{ t: T0 + 1, v: 4 }] },
    ]);
    expect(values(await run(source, 'a * 2', at))).toEqual({ '{"job":"x","i":"1"}': [20], '{"job":"y","i":"2"}': [40] });
    expect(values(await run(source, 'a > 15', at))).toEqual({ '{"__name__":"a","job":"y","i":"2"}': [20] });
    expect(values(await run(source, '15 < a', at))).toEqual({ '{"__name__":"a","job":"y","i":"2"}': [20] });
    expect(values(await run(source, 'a > bool 15', at))).toEqual({ '{"job":"x","i":"1"}': [0], '{"job":"y","i":"2"}': [1] });
    expect(values(await run(source, 'a / b', at))).toEqual({ '{"job":"x","i":"1"}': [5] });
    expect(values(await run(source, 'a / on(job) group_left n', at))).toEqual({ '{"job":"x","i":"1"}': [2.5] });
    expect(values(await run(source, 'a unless b', at))).toEqual({ '{"__name__":"a","job":"y","i":"2"}': [20] });
    expect(values(await run(source, '-b', at))).toEqual({ '{"job":"x","i":"1"}': [-2] });
    await expect(run(source, 'a / on() b', at)).rejects.toThrow(EvaluationError);
  });

  it('refuses a query over the series or window limit before reading a window', async () => {
    const source = new MemoryWindowSource([1, 2, 3].map((i) => ({ labels: { __name__: 'm', i: String(i) }, samples: [{ t: T0 + 1, v: i }] })));
    await expect(run(source, 'm', T0 + 20_000, T0 + 20_000, 0, { ...LIMITS, maxSeries: 2 })).rejects.toThrow(/QUERY_MAX_SERIES/);
    await expect(run(source, 'rate(m[1h])', NOW, NOW, 0, { ...LIMITS, maxWindows: 5 })).rejects.toThrow(QueryLimitError);
    expect(source.windowReads).toBe(0);
  });

  it('stops with a timeout error once the deadline check throws', async () => {
    const source = new MemoryWindowSource([{ labels: { __name__: 'm' }, samples: [{ t: T0 + 1, v: 1 }] }]);
    let checks = 0;
    const checkDeadline = () => {
      checks += 1;
      if (checks > 2) throw new QueryTimeoutError(5, 'QUERY_TIMEOUT_MS');
    };
    const req = { expr: parsePromql('m'), startMs: T0, endMs: T0 + 3_600_000, stepMs: 10_000, nowMs: NOW, resolutions: DEFAULT_RESOLUTIONS, limits: LIMITS, checkDeadline };
    await expect(evaluate(source, req)).rejects.toMatchObject({ name: 'QueryTimeoutError', errorType: 'timeout' });
  });
});
