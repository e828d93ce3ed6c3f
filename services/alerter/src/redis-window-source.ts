import type { Redis } from 'ioredis';
import { decodeWindowHash, WINDOW_FIELDS, windowValues, type RedisKeys, type Resolution, type WindowValues } from '@ringtail/model';
import { findSeries, pickResolution, readBlockWindows, SeriesCache, windowStarts } from '@ringtail/query';
import type { SeriesWindows } from './domain/aggregate.ts';
import type { Aggregation } from './domain/rule.ts';
import type { WindowQuery, WindowSource } from './domain/window-source.ts';
import type { ScriptClient } from './scripts.ts';

/** Series remembered between ticks (see SeriesCache). */
const MAX_CACHED_SERIES = 1_000_000;

const F = WINDOW_FIELDS;
/** Fields each aggregation reads (HMGET); null: every field, for the exact sum. */
const FIELDS: Readonly<Record<Aggregation, readonly string[] | null>> = {
  avg: null,
  sum: null,
  count: [F.count],
  min: [F.count, F.min],
  max: [F.count, F.max],
  last: [F.count, F.lastTsMs, F.last],
  rate: [F.count, F.min, F.firstTsMs, F.first, F.lastTsMs, F.last],
  increase: [F.count, F.min, F.firstTsMs, F.first, F.lastTsMs, F.last],
};

function partialWindow(startMs: number, names: readonly string[], values: readonly (string | null)[]): WindowValues | null {
  const f: Record<string, number> = {};
  names.forEach((n, i) => (f[n] = Number(values[i])));
  const count = f[F.count] ?? 0;
  if (!(count > 0)) return null;
  return {
    startMs,
    count,
    sum: NaN,
    min: f[F.min] ?? NaN,
    max: f[F.max] ?? NaN,
    firstTsMs: f[F.firstTsMs] ?? NaN,
    first: f[F.first] ?? NaN,
    lastTsMs: f[F.lastTsMs] ?? NaN,
    last: f[F.last] ?? NaN,
  };
}

/**
 * The WindowSource on Redis. Per rule: the series lookup of @ringtail/query
 * (with a cache across ticks), the resolution its picker chooses, then one script call reading every window of every series with
 * only the fields the aggregation needs. Measured against reading whole
 * hashes one command each (@ringtail/query's readWindows), this cuts a tick
 * over 10,000 series from ~900 ms to the time of 1,000 script calls.
 */
export function redisWindowSource(redis: ScriptClient, keys: RedisKeys, resolutions: readonly Resolution[]): WindowSource {
  const cache = new SeriesCache(MAX_CACHED_SERIES);

  const readOne = async (q: WindowQuery): Promise<SeriesWindows[]> => {
    const series = await findSeries(redis, keys, q.selector, cache);
    if (series.length === 0) return [];
    const resolution = pickResolution(resolutions, { rangeMs: q.toMs - q.fromMs });
    const starts = windowStarts(resolution, q.fromMs, q.toMs);
    const windowKeys = series.flatMap((s) => starts.map((start) => keys.window(s.id, resolution.name, start)));
    const names = FIELDS[q.aggregation];
    const [replies, closed] = await Promise.all([
      redis.alerterReadWindows(keys.seriesOfMetric(q.selector.metric), names ? names.join(',') : '*', ...windowKeys),
      // Closed windows live in blocks: read through @ringtail/query like every reader.
      readBlockWindows(redis, keys, series.map((s) => s.id), resolution, q.fromMs, q.toMs),
    ]);
    const closedBySeries = new Map<string, WindowValues[]>();
    for (const w of closed) {
      const list = closedBySeries.get(w.seriesId) ?? [];
      list.push(windowValues(w.startMs, w.reading));
      closedBySeries.set(w.seriesId, list);
    }
    return series.map((s, i) => {
      const windows: WindowValues[] = [];
      starts.forEach((startMs, j) => {
        const reply = replies[i * starts.length + j] ?? [];
        if (names) {
          const w = partialWindow(startMs, names, reply);
          if (w) windows.push(w);
          return;
        }
        const fields: Record<string, string> = {};
        for (let k = 0; k + 1 < reply.length; k += 2) fields[reply[k]!] = reply[k + 1]!;
        const reading = decodeWindowHash(fields);
        if (reading) windows.push(windowValues(startMs, reading));
      });
      const fromBlocks = closedBySeries.get(s.id);
      if (fromBlocks === undefined) return { labels: s.labels, windows };
      // A window is hot or in its block, never both (compaction moves it in one script).
      const hot = new Set(windows.map((w) => w.startMs));
      const all = [...windows, ...fromBlocks.filter((w) => !hot.has(w.startMs))].sort((a, b) => a.startMs - b.startMs);
      return { labels: s.labels, windows: all };
    });
  };

  return {
    read: (queries) => Promise.all(queries.map((q) => readOne(q).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))))),
  };
}
