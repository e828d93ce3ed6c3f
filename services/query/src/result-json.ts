import type { EvaluationResult, ResultSeries } from '@ringtail/promql';
import { labelsKey } from '@ringtail/promql';

/**
 * A value as Prometheus writes it in JSON: Go's strconv.FormatFloat(v, 'f', -1, 64),
 * the shortest round-trip digits and never an exponent; `NaN`, `+Inf`, `-Inf`.
 */
export function promFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const text = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const [, sign, lead, rest = '', expText] = m;
  const digits = lead! + rest;
  const exp = Number(expText);
  if (exp >= 0) return sign + digits.padEnd(exp + 1, '0');
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Seconds as Prometheus writes a timestamp: a JSON number with millisecond precision. */
function seconds(ms: number): number {
  return ms / 1000;
}

function sorted(series: readonly ResultSeries[]): ResultSeries[] {
  return [...series].sort((a, b) => (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1));
}

/** `data` of an instant query's answer (resultType vector, scalar or string) at `timeMs`. */
export function instantData(result: EvaluationResult, timeMs: number): unknown {
  switch (result.resultType) {
    case 'string':
      return { resultType: 'string', result: [seconds(timeMs), result.value] };
    case 'scalar': {
      const v = result.series[0]?.points[0]?.[1] ?? NaN;
      return { resultType: 'scalar', result: [seconds(timeMs), promFloat(v)] };
    }
    case 'vector':
      return {
        resultType: 'vector',
        // topk/bottomk order is kept (Prometheus answers them sorted); other vectors have no order.
        result: result.series.map((s) => ({ metric: s.labels, value: [seconds(s.points[0]![0]), promFloat(s.points[0]![1])] })),
      };
  }
}

/** `data` of a range query's answer: always a matrix, series sorted by labels. */
export function rangeData(result: EvaluationResult): unknown {
  if (result.resultType === 'string') throw new Error('a string cannot be a range query result');
  return {
    resultType: 'matrix',
    result: sorted(result.series).map((s) => ({ metric: s.labels, values: s.points.map(([t, v]) => [seconds(t), promFloat(v)]) })),
  };
}
