import type { RawSample } from '@ringtail/loadgen';

/** What one window must hold: computed here independently of the pipeline's code. */
export interface ExpectedWindow {
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstTs: number;
  last: number;
  lastTs: number;
}

/**
 * Reference aggregation of produced samples: key `${seriesKey}|${windowStart}`
 * for one window size. Values from the load generator are multiples of 0.25,
 * so these sums are exact whatever the order.
 */
export function expectedWindows(
  samples: Iterable<RawSample>,
  stepMs: number,
  seriesKeyOf: (s: RawSample) => string,
): Map<string, ExpectedWindow> {
  const out = new Map<string, ExpectedWindow>();
  for (const s of samples) {
    const start = Math.floor(s.timestamp / stepMs) * stepMs;
    const key = `${seriesKeyOf(s)}|${start}`;
    const w = out.get(key);
    if (!w) {
      out.set(key, { count: 1, sum: s.value, min: s.value, max: s.value, first: s.value, firstTs: s.timestamp, last: s.value, lastTs: s.timestamp });
      continue;
    }
    w.count += 1;
    w.sum += s.value;
    w.min = Math.min(w.min, s.value);
    w.max = Math.max(w.max, s.value);
    if (s.timestamp < w.firstTs || (s.timestamp === w.firstTs && s.value < w.first)) {
      w.first = s.value;
      w.firstTs = s.timestamp;
    }
    if (s.timestamp > w.lastTs || (s.timestamp === w.lastTs && s.value > w.last)) {
      w.last = s.value;
      w.lastTs = s.timestamp;
    }
  }
  return out;
}
