import type { Resolution } from '@ringtail/model';
import { typeOf, type Expr, type MatrixSelector, type VectorSelector } from './ast.ts';
import { aggregate } from './aggregation.ts';
import { scalarBinary, vectorBinary, vectorScalarBinary } from './binary-operation.ts';
import { EvaluationError, QueryLimitError, UnsupportedPromqlError } from './errors.ts';
import { compareLabels, dropMetricName, labelsKey, type Sample } from './instant-vector.ts';
import { applyRangeFunction, SeriesWindows } from './range-functions.ts';
import { chooseResolution, type Labels, type SeriesRef, type WindowSource } from './window-source.ts';

export interface EvaluationLimits {
  /** Series one selector may match (QUERY_MAX_SERIES). */
  readonly maxSeries: number;
  /** Windows one query may read, all selectors together (QUERY_MAX_WINDOWS): Prometheus' max samples. */
  readonly maxWindows: number;
  /** How far back an instant selector looks for the latest sample (QUERY_LOOKBACK_DELTA_MS; Prometheus: 5m). */
  readonly lookbackMs: number;
}

export interface EvaluationRequest {
  readonly expr: Expr;
  readonly startMs: number;
  /** Inclusive; equal to startMs for an instant query. */
  readonly endMs: number;
  /** Step between evaluation times; ignored when startMs = endMs. */
  readonly stepMs: number;
  /** The clock, for choosing resolutions whose retention still holds the range. */
  readonly nowMs: number;
  readonly resolutions: readonly Resolution[];
  readonly limits: EvaluationLimits;
  /** Throws (QueryTimeoutError) once the query's deadline passed; called between reads and steps. */
  readonly checkDeadline: () => void;
}

export interface ResultSeries {
  readonly labels: Labels;
  /** [evaluation time ms, value], by time. */
  readonly points: [number, number][];
}

export type EvaluationResult =
  | { readonly resultType: 'scalar'; readonly series: readonly ResultSeries[] }
  | { readonly resultType: 'vector'; readonly series: readonly ResultSeries[] }
  | { readonly resultType: 'string'; readonly value: string };

type Instant = { readonly type: 'scalar'; readonly value: number } | { readonly type: 'vector'; readonly samples: Sample[] };

interface Loaded {
  readonly series: readonly { readonly ref: SeriesRef; readonly windows: SeriesWindows }[];
}

const DEADLINE_CHECK_STEPS = 16;

/**
 * Evaluates `expr` at every step from startMs to endMs over the windows of
 * `source`: each selector's series and windows are read once for the whole
 * range (after the series and window limits are checked, so a query over a
 * limit is refused before it reads a window), then every step is computed
 * from memory. Result times and values follow Prometheus' range evaluation.
 */
export async function evaluate(source: WindowSource, req: EvaluationRequest): Promise<EvaluationResult> {
  const { expr } = req;
  if (expr.kind === 'string') return { resultType: 'string', value: expr.value };
  if (typeOf(expr) === 'matrix') throw new UnsupportedPromqlError('a range vector as the query result (raw samples are not stored; wrap it in a function such as last_over_time)');
  const loaded = await loadSelectors(source, req);
  const times: number[] = [];
  const stepMs = req.endMs > req.startMs ? req.stepMs : 1;
  for (let t = req.startMs; t <= req.endMs; t += stepMs) times.push(t);

  const bySeries = new Map<string, ResultSeries>();
  times.forEach((t, i) => {
    if (i % DEADLINE_CHECK_STEPS === 0) req.checkDeadline();
    const value = evalAt(expr, t, loaded, req.limits.lookbackMs);
    if (value.type === 'scalar') {
      const s = bySeries.get('') ?? { labels: {}, points: [] };
      s.points.push([t, value.value]);
      bySeries.set('', s);
      return;
    }
    const seen = new Set<string>();
    for (const sample of value.samples) {
      const key = labelsKey(sample.labels);
      if (seen.has(key)) throw new EvaluationError('vector cannot contain metrics with the same labelset');
      seen.add(key);
      const s = bySeries.get(key) ?? { labels: sample.labels, points: [] };
      s.points.push([t, sample.value]);
      bySeries.set(key, s);
    }
  });
  return { resultType: typeOf(expr) === 'scalar' ? 'scalar' : 'vector', series: [...bySeries.values()] };
}

function selectorsOf(e: Expr, out: (VectorSelector | MatrixSelector)[]): void {
  switch (e.kind) {
    case 'vector':
    case 'matrix':
      out.push(e);
      return;
    case 'call':
      out.push(e.arg);
      return;
    case 'aggregate':
      if (e.param) selectorsOf(e.param, out);
      selectorsOf(e.expr, out);
      return;
    case 'binary':
      selectorsOf(e.lhs, out);
      selectorsOf(e.rhs, out);
      return;
    case 'negate':
      selectorsOf(e.expr, out);
      return;
    default:
      return;
  }
}

async function loadSelectors(source: WindowSource, req: EvaluationRequest): Promise<Map<VectorSelector, Loaded>> {
  const selectors: (VectorSelector | MatrixSelector)[] = [];
  selectorsOf(req.expr, selectors);
  const stepMs = req.endMs > req.startMs ? req.stepMs : 0;
  const plans = await Promise.all(
    selectors.map(async (node) => {
      const vector = node.kind === 'matrix' ? node.selector : node;
      const reachMs = node.kind === 'matrix' ? node.rangeMs : req.limits.lookbackMs;
      const fromMs = req.startMs - vector.offsetMs - reachMs;
      const toMs = req.endMs - vector.offsetMs;
      const alignMs = [req.startMs - vector.offsetMs, stepMs, ...(node.kind === 'matrix' ? [node.rangeMs] : [])];
      const resolution = chooseResolution(req.resolutions, { nowMs: req.nowMs, earliestMs: fromMs, alignMs });
      const series = await source.series(vector.matchers);
      if (series.length > req.limits.maxSeries) {
        throw new QueryLimitError(`the selector matches ${series.length} series, more than ${req.limits.maxSeries}`, 'QUERY_MAX_SERIES');
      }
      const windowsPerSeries = Math.floor(toMs / resolution.stepMs) - Math.floor(fromMs / resolution.stepMs) + 1;
      return { vector, resolution, series, fromMs, toMs, windows: windowsPerSeries * series.length };
    }),
  );
  const total = plans.reduce((n, p) => n + p.windows, 0);
  if (total > req.limits.maxWindows) {
    throw new QueryLimitError(`query processing would load too many samples into memory in query execution: ${total} windows, more than ${req.limits.maxWindows}`, 'QUERY_MAX_WINDOWS');
  }
  const loaded = new Map<VectorSelector, Loaded>();
  for (const p of plans) {
    req.checkDeadline();
    const windows = p.series.length === 0 ? [] : await source.windows(p.series.map((s) => s.id), p.resolution, p.fromMs, p.toMs + 1);
    const byId = new Map<string, typeof windows[number][]>();
    for (const w of windows) {
      const list = byId.get(w.seriesId);
      if (list) list.push(w);
      else byId.set(w.seriesId, [w]);
    }
    loaded.set(p.vector, {
      // In Prometheus' order, so that topk/bottomk keep the same series among equal values.
      series: [...p.series].sort((a, b) => compareLabels(a.labels, b.labels)).map((ref) => ({
        ref,
        windows: new SeriesWindows((byId.get(ref.id) ?? []).sort((a, b) => a.startMs - b.startMs), p.resolution.stepMs),
      })),
    });
  }
  return loaded;
}

function evalAt(e: Expr, t: number, loaded: ReadonlyMap<VectorSelector, Loaded>, lookbackMs: number): Instant {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', value: e.value };
    case 'vector': {
      const hi = t - e.offsetMs;
      const samples: Sample[] = [];
      for (const s of loaded.get(e)!.series) {
        const value = s.windows.latest(hi - lookbackMs, hi);
        if (value !== undefined) samples.push({ labels: s.ref.labels, value });
      }
      return { type: 'vector', samples };
    }
    case 'call': {
      const { selector, rangeMs } = e.arg;
      const hi = t - selector.offsetMs;
      const lo = hi - rangeMs;
      const samples: Sample[] = [];
      for (const s of loaded.get(selector)!.series) {
        const value = applyRangeFunction(e.func, s.windows.within(lo, hi), lo, hi);
        // last_over_time acts like an offset and keeps the metric name, as in Prometheus.
        if (value !== undefined) samples.push({ labels: e.func === 'last_over_time' ? s.ref.labels : dropMetricName(s.ref.labels), value });
      }
      return { type: 'vector', samples };
    }
    case 'aggregate': {
      const inner = evalAt(e.expr, t, loaded, lookbackMs);
      const param = e.param ? evalAt(e.param, t, loaded, lookbackMs) : undefined;
      return { type: 'vector', samples: aggregate(e, vectorOf(inner), param?.type === 'scalar' ? param.value : undefined) };
    }
    case 'negate': {
      const inner = evalAt(e.expr, t, loaded, lookbackMs);
      if (inner.type === 'scalar') return { type: 'scalar', value: -inner.value };
      return { type: 'vector', samples: inner.samples.map((s) => ({ labels: dropMetricName(s.labels), value: -s.value })) };
    }
    case 'binary': {
      const l = evalAt(e.lhs, t, loaded, lookbackMs);
      const r = evalAt(e.rhs, t, loaded, lookbackMs);
      if (l.type === 'scalar' && r.type === 'scalar') return { type: 'scalar', value: scalarBinary(e, l.value, r.value) };
      if (l.type === 'vector' && r.type === 'scalar') return { type: 'vector', samples: vectorScalarBinary(e, l.samples, r.value, false) };
      if (l.type === 'scalar' && r.type === 'vector') return { type: 'vector', samples: vectorScalarBinary(e, r.samples, l.value, true) };
      return { type: 'vector', samples: vectorBinary(e, vectorOf(l), vectorOf(r)) };
    }
    case 'matrix':
    case 'string':
      throw new EvaluationError(`unexpected ${e.kind} in an instant expression`);
  }
}

function vectorOf(i: Instant): Sample[] {
  if (i.type !== 'vector') throw new EvaluationError('expected an instant vector');
  return i.samples;
}
