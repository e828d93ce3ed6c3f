import { SERIES_FIELDS, WINDOW_FIELDS, windowExpiresAtMs, type RedisKeys } from '@ringtail/model';
import type { PartitionBatch } from './window-aggregator.ts';

/**
 * The JSON argument of flush-1.lua for one partition batch. Every number is a
 * decimal string: Lua numbers are doubles and Redis formats them lossily, while
 * strings pass through verbatim. Doubles are written in JS's shortest
 * round-trip form, so Redis holds exactly the value that was aggregated.
 */
export function flushPayload(keys: RedisKeys, batch: PartitionBatch): string {
  const wm = batch.watermarks.map((m) => [String(m.rawPartition), String(m.expected), String(m.next)]);
  const w = batch.windows.map(({ seriesId, resolution, startMs, window: a }) => {
    const row: string[] = [
      keys.window(seriesId, resolution.name, startMs),
      String(windowExpiresAtMs(startMs, resolution)),
      String(a.count),
      String(a.min),
      String(a.max),
      String(a.firstTsMs),
      String(a.first),
      String(a.lastTsMs),
      String(a.last),
    ];
    for (const [index, amount] of a.sumLimbs) {
      if (amount !== 0) row.push(WINDOW_FIELDS.sumLimbPrefix + index, String(amount));
    }
    return row;
  });
  const sadd: string[][] = [];
  const hset: string[][] = [];
  if (batch.newSeries.length > 0) sadd.push([keys.metricNames, ...new Set(batch.newSeries.map((s) => s.name))]);
  for (const s of batch.newSeries) {
    sadd.push([keys.seriesOfMetric(s.name), s.id]);
    for (const [label, value] of Object.entries(s.labels)) sadd.push([keys.seriesOfLabel(label, value), s.id]);
    hset.push([keys.series(s.id), SERIES_FIELDS.name, s.name, SERIES_FIELDS.labels, JSON.stringify(s.labels)]);
  }
  return JSON.stringify({ wm, w, sadd, hset });
}
