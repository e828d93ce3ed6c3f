import type { WindowValues } from '@ringtail/model';
import type { Aggregation } from './rule.ts';

/** The windows of one series inside a rule's time range, oldest first. */
export interface SeriesWindows {
  /** Series labels (the metric name is not a label here). */
  readonly labels: Readonly<Record<string, string>>;
  readonly windows: readonly WindowValues[];
}

/**
 * Counter increase over windows, oldest first, from each window's first/last
 * with reset detection: a value below its predecessor means the counter
 * restarted from zero, so the new value itself is the increase (as in
 * Prometheus). A reset inside one window is seen as `min < first` or
 * `last < first`; only the part after it (`last`) is counted, a lower bound.
 */
export function counterIncrease(windows: readonly WindowValues[]): number {
  let total = 0;
  let prevLast: number | null = null;
  for (const w of windows) {
    if (prevLast !== null) total += w.first >= prevLast ? w.first - prevLast : w.first;
    total += w.min < w.first || w.last < w.first ? w.last : w.last - w.first;
    prevLast = w.last;
  }
  return total;
}

function sampleCount(windows: readonly WindowValues[]): number {
  let n = 0;
  for (const w of windows) n += w.count;
  return n;
}

/** The aggregate of one series; null when there is no data (rate/increase need two samples). */
export function aggregateSeries(agg: Aggregation, windows: readonly WindowValues[], windowMs: number): number | null {
  const count = sampleCount(windows);
  if (count === 0) return null;
  switch (agg) {
    case 'count':
      return count;
    case 'sum':
      return windows.reduce((s, w) => s + w.sum, 0);
    case 'avg':
      return windows.reduce((s, w) => s + w.sum, 0) / count;
    case 'min':
      return Math.min(...windows.map((w) => w.min));
    case 'max':
      return Math.max(...windows.map((w) => w.max));
    case 'last': {
      let best = windows[0]!;
      for (const w of windows) if (w.lastTsMs > best.lastTsMs || (w.lastTsMs === best.lastTsMs && w.last > best.last)) best = w;
      return best.last;
    }
    case 'increase':
      return count < 2 ? null : counterIncrease(windows);
    case 'rate':
      return count < 2 ? null : counterIncrease(windows) / (windowMs / 1000);
  }
}

/**
 * The aggregate over several series (a `by` group): avg, sum, count, min and
 * max pool every window; `last` takes the latest sample; rate and increase
 * add the per-series values, like `sum by (...) (rate(...))`.
 */
export function aggregateGroup(agg: Aggregation, series: readonly SeriesWindows[], windowMs: number): number | null {
  if (agg === 'rate' || agg === 'increase') {
    let total: number | null = null;
    for (const s of series) {
      const v = aggregateSeries(agg, s.windows, windowMs);
      if (v !== null) total = (total ?? 0) + v;
    }
    return total;
  }
  return aggregateSeries(agg, series.flatMap((s) => s.windows), windowMs);
}
