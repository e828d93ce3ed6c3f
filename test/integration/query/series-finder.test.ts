import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisKeys, SERIES_FIELDS } from '@ringtail/model';
import { findSeriesOfEach, SeriesCache, type SeriesInfo } from '@ringtail/query';
import { createSentinelClient } from '@ringtail/runtime';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

/** More candidates than one ZMSCORE takes in the script, and more selectors than one call takes. */
const SERIES = 2_500;
const HOST_SELECTORS = 700;

describe('findSeriesOfEach', () => {
  const namespace = randomNamespace('series-finder');
  const keys = redisKeys(namespace);
  let redis: Redis;
  const nowMs = Date.now();
  const idOf = (i: number) => i.toString(16).padStart(16, '0');
  // Every tenth series expired, the next one indexed without an expiry (before expiries were kept: live).
  const expired = (i: number) => i % 10 === 0;
  const withoutExpiry = (i: number) => i % 10 === 1;

  beforeAll(async () => {
    const stack = stackEndpoints();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'series-finder-test');
    const multi = redis.multi();
    for (let i = 0; i < SERIES; i++) {
      const id = idOf(i);
      multi.sadd(keys.seriesOfMetric('big'), id).sadd(keys.seriesOfLabel('host', `h${i}`), id);
      multi.hset(keys.series(id), SERIES_FIELDS.name, 'big', SERIES_FIELDS.labels, JSON.stringify({ host: `h${i}` }));
      if (!withoutExpiry(i)) multi.zadd(keys.seriesExpiry, expired(i) ? nowMs - 1_000 : nowMs + 3_600_000, id);
    }
    multi.set(keys.seriesOfMetric('broken'), 'not a set');
    await multi.exec();
  });

  afterAll(async () => {
    const stale = await redis.keys(keys.scanPattern);
    for (let i = 0; i < stale.length; i += 1000) await redis.del(...stale.slice(i, i + 1000));
    redis.disconnect();
  });

  it('finds the live candidates of many selectors, each failing alone', async () => {
    const hostSelectors = Array.from({ length: HOST_SELECTORS }, (_, i) => ({ metric: 'big', matchers: [{ name: 'host', op: '=' as const, value: `h${i}` }] }));
    const selectors = [
      ...hostSelectors.slice(0, 300),
      { metric: 'big', matchers: [] },
      { metric: 'broken', matchers: [] },
      ...hostSelectors.slice(300),
      { metric: 'big', matchers: [{ name: 'host', op: '=~' as const, value: 'h1.' }] },
      { metric: 'absent', matchers: [] },
    ];
    const cache = new SeriesCache(10_000);
    const found = await findSeriesOfEach(redis, keys, selectors, cache, nowMs);
    const ids = (r: SeriesInfo[] | Error | undefined) => {
      if (r instanceof Error || r === undefined) throw r ?? new Error('no entry');
      return r.map((s) => s.id);
    };
    const live = (i: number) => !expired(i);
    const all = Array.from({ length: SERIES }, (_, i) => i).filter(live).map(idOf);
    expect(ids(found[300])).toEqual(all);
    expect(found[301]).toBeInstanceOf(Error);
    expect((found[301] as Error).message).toMatch(/WRONGTYPE/);
    hostSelectors.forEach((_, i) => {
      const at = i < 300 ? i : i + 2;
      expect(ids(found[at])).toEqual(live(i) ? [idOf(i)] : []);
    });
    expect(ids(found[HOST_SELECTORS + 2])).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19].filter(live).map(idOf));
    expect(ids(found[HOST_SELECTORS + 3])).toEqual([]);
    // From the cache now: the same answers.
    expect(await findSeriesOfEach(redis, keys, selectors, cache, nowMs)).toEqual(found);
  });
});
