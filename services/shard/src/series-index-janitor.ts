import type { Redis } from 'ioredis';
import { SERIES_FIELDS, type RedisKeys } from '@ringtail/model';
import { defineLuaCommands } from '@ringtail/runtime';

/** Expired series one pass removes; the next pass goes on where it stopped. */
const DEFAULT_MAX_SERIES_PER_PASS = 1000;

interface JanitorPipeline {
  ringtailUnindexSeries(expiryKey: string, setKey: string, seriesId: string): void;
  ringtailForgetSeries(expiryKey: string, seriesKey: string, metricSetKey: string, metricNamesKey: string, seriesId: string, metricName: string): void;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export interface SeriesIndexJanitorOptions {
  readonly keys: RedisKeys;
  readonly maxSeriesPerPass?: number;
  /** Wall clock (epoch ms): picks the candidates; the scripts decide by Redis' own clock. */
  readonly nowMs: () => number;
}

/**
 * Removes series whose last window and block have expired from the series
 * index: their label sets (unindex-series-2.lua), then their metric's set,
 * description and expiry, and the metric name once it has no series left
 * (forget-series-4.lua). Each script removes only while the series' expiry
 * (`RedisKeys.seriesExpiry`, written by every flush that indexes it) is past,
 * so a series that reports again is never left half-indexed; every shard
 * worker may run passes at the same time.
 */
export class SeriesIndexJanitor {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly opts: SeriesIndexJanitorOptions,
  ) {
    defineLuaCommands(redis, {
      ringtailUnindexSeries: new URL('./lua/unindex-series-2.lua', import.meta.url),
      ringtailForgetSeries: new URL('./lua/forget-series-4.lua', import.meta.url),
    });
    this.redis = redis;
  }

  /** One pass over at most maxSeriesPerPass expired series; resolves to how many were removed from the index. */
  async sweep(): Promise<number> {
    const { keys } = this.opts;
    const ids = await this.redis.zrangebyscore(keys.seriesExpiry, '-inf', String(this.opts.nowMs()), 'LIMIT', 0, this.opts.maxSeriesPerPass ?? DEFAULT_MAX_SERIES_PER_PASS);
    if (ids.length === 0) return 0;
    const read = this.redis.pipeline();
    for (const id of ids) read.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
    const descriptions = (await read.exec()) ?? [];
    const remove = this.redis.pipeline() as unknown as JanitorPipeline;
    // Reply positions of the forget-series calls: after each series' label-set calls.
    const forgets: number[] = [];
    let queued = 0;
    ids.forEach((id, i) => {
      const [err, reply] = descriptions[i]!;
      if (err) throw err;
      const [name, labelsJson] = reply as (string | null)[];
      // Without a description its label sets are unknown: a flush cut off after the expiry wrote neither.
      const labels = labelsJson == null ? {} : (JSON.parse(labelsJson) as Record<string, string>);
      for (const [label, value] of Object.entries(labels)) {
        remove.ringtailUnindexSeries(keys.seriesExpiry, keys.seriesOfLabel(label, value), id);
        queued += 1;
      }
      forgets.push(queued);
      remove.ringtailForgetSeries(keys.seriesExpiry, keys.series(id), keys.seriesOfMetric(name ?? ''), keys.metricNames, id, name ?? '');
      queued += 1;
    });
    const replies = (await remove.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    let forgotten = 0;
    for (const at of forgets) if (replies[at]?.[1] === 1) forgotten += 1;
    return forgotten;
  }
}
