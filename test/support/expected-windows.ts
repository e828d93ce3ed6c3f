/** What one window must hold: computed here independently of the pipeline's code. */
export interface ExpectedWindow {
  count: number;
  sum: number;
  min: number;
  max: number;
  firstTsMs: number;
  first: number;
  lastTsMs: number;
  last: number;
}

/** The part of a sample the reference needs. */
export interface TimedValue {
  readonly value: number;
  readonly timestamp: number;
}

/**
 * Reference aggregation of produced samples: key `${seriesKeyOf(sample)}|${windowStart}`
 * for one window size. Values from the load generator are multiples of 0.25,
 * so these sums are exact whatever the order.
 */
export function expectedWindows<S extends TimedValue>(samples: Iterable<S>, stepMs: number, seriesKeyOf: (s: S) => string): Map<string, ExpectedWindow> {
  const out = new Map<string, ExpectedWindow>();
  for (const s of samples) {
    // Windows store -0 as 0 (see windowOfSample), so min/max ties do not depend on order.
    const v = s.value === 0 ? 0 : s.value;
    const ts = s.timestamp;
    const key = `${seriesKeyOf(s)}|${Math.floor(ts / stepMs) * stepMs}`;
    const w = out.get(key);
    if (!w) {
      out.set(key, { count: 1, sum: v, min: v, max: v, firstTsMs: ts, first: v, lastTsMs: ts, last: v });
      continue;
    }
    w.count += 1;
    w.sum += v;
    w.min = Math.min(w.min, v);
    w.max = Math.max(w.max, v);
    if (ts < w.firstTsMs || (ts === w.firstTsMs && v < w.first)) {
      w.first = v;
      w.firstTsMs = ts;
    }
    if (ts > w.lastTsMs || (ts === w.lastTsMs && v > w.last)) {
      w.last = v;
      w.lastTsMs = ts;
    }
  }
  return out;
}
