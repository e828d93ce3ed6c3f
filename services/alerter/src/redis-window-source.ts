import type { Redis } from 'ioredis';
import { decodeWindowHash, SERIES_FIELDS, WINDOW_FIELDS, windowStartMs, windowValues, type RedisKeys, type Resolution, type WindowValues } from '@ringtail/model';
import type { SeriesWindows } from './domain/aggregate.ts';
import type { Aggregation } from './domain/rule.ts';
import { labelPredicate } from './domain/selector.ts';
import type { WindowQuery, WindowSource } from './domain/window-source.ts';
import type { ScriptClient } from './scripts.ts';

/** Windows a rule may read per series before a coarser resolution is used. */
const MAX_WINDOWS_PER_SERIES = 360;
/** Series labels remembered; series hashes never change, so the cache is only bounded, never invalidated. */
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

/** The finest resolution that keeps a rule's range within MAX_WINDOWS_PER_SERIES and its retention. */
export function resolutionFor(resolutions: readonly Resolution[], rangeMs: number): Resolution {
  const fit = resolutions.find((r) => Math.ceil(rangeMs / r.stepMs) + 1 <= MAX_WINDOWS_PER_SERIES && r.retentionMs >= rangeMs);
  return fit ?? resolutions[resolutions.length - 1]!;
}

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
 * The WindowSource on Redis. Per rule: SINTER over the index (metric name and
 * equality matchers), labels of unseen series (cached: series hashes never
 * change), then one script call reading every window of every series with
 * only the fields the aggregation needs. Measured against reading whole
 * hashes one command each (@ringtail/query's readWindows), this cuts a tick
 * over 10,000 series from ~900 ms to the time of 1,000 script calls.
 */
export function redisWindowSource(redis: ScriptClient, keys: RedisKeys, resolutions: readonly Resolution[]): WindowSource {
  const labelsById = new Map<string, Readonly<Record<string, string>> | null>();

  const seriesOf = async (q: WindowQuery): Promise<{ id: string; labels: Readonly<Record<string, string>> }[]> => {
    const sets = [keys.seriesOfMetric(q.selector.metric), ...q.selector.matchers.filter((m) => m.op === '=' && m.value !== '').map((m) => keys.seriesOfLabel(m.name, m.value))];
    const ids = (await redis.sinter(...sets)).sort();
    const unknown = ids.filter((id) => !labelsById.has(id));
    if (unknown.length > 0) {
      const pipeline = (redis as Redis).pipeline();
      for (const id of unknown) pipeline.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
      const replies = (await pipeline.exec()) ?? [];
      if (labelsById.size + unknown.length > MAX_CACHED_SERIES) labelsById.clear();
      replies.forEach(([err, reply], i) => {
        if (err) throw err;
        const [, labelsJson] = reply as (string | null)[];
        // A series hash not written yet (index first): look again next tick.
        if (labelsJson != null) labelsById.set(unknown[i]!, JSON.parse(labelsJson) as Record<string, string>);
      });
    }
    const matches = labelPredicate(q.selector.matchers);
    return ids.flatMap((id) => {
      const labels = labelsById.get(id);
      return labels && matches(labels) ? [{ id, labels }] : [];
    });
  };

  const readOne = async (q: WindowQuery): Promise<SeriesWindows[]> => {
    const series = await seriesOf(q);
    if (series.length === 0) return [];
    const resolution = resolutionFor(resolutions, q.toMs - q.fromMs);
    const starts: number[] = [];
    for (let s = windowStartMs(q.fromMs, resolution.stepMs); s < q.toMs; s += resolution.stepMs) starts.push(s);
    const windowKeys = series.flatMap((s) => starts.map((start) => keys.window(s.id, resolution.name, start)));
    const names = FIELDS[q.aggregation];
    const replies = await redis.alerterReadWindows(keys.seriesOfMetric(q.selector.metric), names ? names.join(',') : '*', ...windowKeys);
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
      return { labels: s.labels, windows };
    });
  };

  return {
    read: (queries) => Promise.all(queries.map((q) => readOne(q).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))))),
  };
}
