import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  addSample,
  CHANGE_FIELDS,
  CHANGE_STREAM_MAX_LEN,
  slotOfSeriesId,
  DEFAULT_RESOLUTIONS,
  redisKeys,
  SERIES_FIELDS,
  WINDOW_FIELDS,
  windowExpiresAtMs,
  windowOfSample,
  windowStartMs,
  type RedisKeys,
  type Resolution,
  type WindowAggregate,
} from '@ringtail/model';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs: number;
}

/**
 * Writes samples straight into Redis in the shard worker's layout (window
 * hashes, series index, series hashes, change stream entries), bypassing Kafka: for alerter tests and
 * the benchmark. Aggregates are kept in memory and written whole, so it is
 * correct only as the single writer of its namespace.
 */
export class WindowWriter {
  private readonly keys: RedisKeys;
  private readonly windows = new Map<string, WindowAggregate>();

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly resolutions: readonly Resolution[] = [DEFAULT_RESOLUTIONS[0]!],
    /** Series whose index entries are written already (shared by writers of one namespace): skipped, then added. */
    private readonly indexed?: Set<string>,
  ) {
    this.keys = redisKeys(namespace);
  }

  static seriesId(name: string, labels: Readonly<Record<string, string>>): string {
    const sorted = Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]);
    return createHash('sha1').update(JSON.stringify([name, sorted])).digest('hex').slice(0, 16);
  }

  async write(samples: readonly Sample[]): Promise<void> {
    const k = this.keys;
    const multi = this.redis.multi();
    const changedBySlot = new Map<number, Set<string>>();
    for (const s of samples) {
      const id = WindowWriter.seriesId(s.name, s.labels);
      const slot = slotOfSeriesId(id, k.slotCount);
      changedBySlot.set(slot, (changedBySlot.get(slot) ?? new Set()).add(id));
      if (!this.indexed?.has(id)) {
        multi.sadd(k.metricNames, s.name).sadd(k.seriesOfMetric(s.name), id);
        for (const [label, value] of Object.entries(s.labels)) multi.sadd(k.seriesOfLabel(label, value), id);
        multi.hset(k.series(id), SERIES_FIELDS.name, s.name, SERIES_FIELDS.labels, JSON.stringify(s.labels));
        this.indexed?.add(id);
      }
      for (const r of this.resolutions) {
        const startMs = windowStartMs(s.timestampMs, r.stepMs);
        const key = k.window(id, r.name, startMs);
        let w = this.windows.get(key);
        if (w) addSample(w, s.value, s.timestampMs);
        else this.windows.set(key, (w = windowOfSample(s.value, s.timestampMs)));
        const F = WINDOW_FIELDS;
        const fields: (string | number)[] = [F.count, w.count, F.min, w.min, F.max, w.max, F.firstTsMs, w.firstTsMs, F.first, w.first, F.lastTsMs, w.lastTsMs, F.last, w.last];
        for (const [i, amount] of w.sumLimbs) if (amount !== 0) fields.push(F.sumLimbPrefix + i, amount);
        multi.del(key).hset(key, ...fields).pexpireat(key, windowExpiresAtMs(startMs, r));
      }
    }
    // Announced like a shard flush announces (flush-2.lua), so change-driven evaluation sees these writes.
    for (const [slot, ids] of changedBySlot) {
      multi.xadd(k.changes(slot), 'MAXLEN', '~', CHANGE_STREAM_MAX_LEN, '*', CHANGE_FIELDS.series, [...ids].join(','), CHANGE_FIELDS.windows, '');
    }
    await multi.exec();
  }
}
