import { scaledToNumber, type WindowReading } from '@ringtail/model';
import type { RangeFunctionName } from './ast.ts';
import type { SeriesWindow } from './window-source.ts';

/**
 * The windows of one series, sorted by start, read at one resolution; finds
 * those a range covers. A window is indivisible: it belongs to a range only
 * when every sample in it does (its first and last timestamps lie inside),
 * so a window straddling a range boundary is left out whole.
 */
export class SeriesWindows {
  constructor(
    readonly windows: readonly SeriesWindow[],
    private readonly stepMs: number,
  ) {}

  /** Index of the first window starting at or after `ms`. */
  private lowerBound(ms: number): number {
    let lo = 0;
    let hi = this.windows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.windows[mid]!.startMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Windows whose samples all lie in [loMs, hiMs] (Prometheus 2.x ranges are closed at both ends), oldest first. */
  within(loMs: number, hiMs: number): WindowReading[] {
    const out: WindowReading[] = [];
    for (let i = this.lowerBound(loMs - this.stepMs + 1); i < this.windows.length; i++) {
      const w = this.windows[i]!;
      if (w.startMs > hiMs) break;
      if (w.reading.firstTsMs >= loMs && w.reading.lastTsMs <= hiMs) out.push(w.reading);
    }
    return out;
  }

  /**
   * The latest sample at or before `hiMs` and not before `loMs` (an instant
   * selector's lookback), as far as windows tell: the last sample of the latest
   * window wholly at or before `hiMs`.
   */
  latest(loMs: number, hiMs: number): number | undefined {
    for (let i = this.lowerBound(hiMs + 1) - 1; i >= 0; i--) {
      const r = this.windows[i]!.reading;
      if (r.lastTsMs > hiMs) continue;
      return r.lastTsMs >= loMs ? r.last : undefined;
    }
    return undefined;
  }
}

/**
 * Increase of a counter over windows in time order, with Prometheus' reset
 * rule (a drop adds the value before it): exact across window boundaries.
 * Inside a window only first, last, min and max are known: a window whose
 * max exceeds its last (or whose min is below its first) had a reset; it is
 * taken as one reset, after the window's max when max > last (exact for one
 * reset), else after its first value (a lower bound).
 */
function counterIncrease(ws: readonly WindowReading[]): number {
  let result = ws[ws.length - 1]!.last - ws[0]!.first;
  let previous: number | undefined;
  for (const w of ws) {
    if (previous !== undefined && w.first < previous) result += previous;
    if (w.max > w.last) result += w.max;
    else if (w.min < w.first) result += w.first;
    previous = w.last;
  }
  return result;
}

/**
 * Prometheus' extrapolatedRate (promql/functions.go, 2.x): the change from
 * the first to the last sample, extrapolated towards the range's ends when
 * they lie within 1.1 average sample intervals, by half an interval otherwise;
 * counters never extrapolated below zero. Needs the first and last samples'
 * timestamps and the number of samples: windows hold all three exactly.
 */
function extrapolatedRate(ws: readonly WindowReading[], rangeStartMs: number, rangeEndMs: number, isCounter: boolean, isRate: boolean): number | undefined {
  const samples = ws.reduce((n, w) => n + w.count, 0);
  if (samples < 2) return undefined;
  const first = ws[0]!;
  const last = ws[ws.length - 1]!;
  let result = isCounter ? counterIncrease(ws) : last.last - first.first;
  let durationToStart = (first.firstTsMs - rangeStartMs) / 1000;
  const durationToEnd = (rangeEndMs - last.lastTsMs) / 1000;
  const sampledInterval = (last.lastTsMs - first.firstTsMs) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (samples - 1);
  if (isCounter && result > 0 && first.first >= 0) {
    const durationToZero = sampledInterval * (first.first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  result = result * (extrapolateToInterval / sampledInterval);
  if (isRate) result = result / ((rangeEndMs - rangeStartMs) / 1000);
  return result;
}

/**
 * One range function over the windows a range [rangeStartMs, rangeEndMs]
 * covers (oldest first); undefined when Prometheus would return no sample.
 * count, sum (exact, rounded once), min, max and last are exact; avg is the
 * exact sum over the count.
 */
export function applyRangeFunction(func: RangeFunctionName, ws: readonly WindowReading[], rangeStartMs: number, rangeEndMs: number): number | undefined {
  if (ws.length === 0) return undefined;
  switch (func) {
    case 'rate':
      return extrapolatedRate(ws, rangeStartMs, rangeEndMs, true, true);
    case 'increase':
      return extrapolatedRate(ws, rangeStartMs, rangeEndMs, true, false);
    case 'delta':
      return extrapolatedRate(ws, rangeStartMs, rangeEndMs, false, false);
    case 'count_over_time':
      return ws.reduce((n, w) => n + w.count, 0);
    case 'sum_over_time':
      return scaledToNumber(ws.reduce((s, w) => s + w.sumScaled, 0n));
    case 'avg_over_time':
      return scaledToNumber(ws.reduce((s, w) => s + w.sumScaled, 0n)) / ws.reduce((n, w) => n + w.count, 0);
    case 'min_over_time':
      return Math.min(...ws.map((w) => w.min));
    case 'max_over_time':
      return Math.max(...ws.map((w) => w.max));
    case 'last_over_time':
      return ws[ws.length - 1]!.last;
  }
}
