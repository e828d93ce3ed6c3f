import type { Redis } from 'ioredis';
import { SERIES_FIELDS, type RedisKeys } from '@ringtail/model';
import { labelPredicate, type Selector } from './selector.ts';

export interface SeriesInfo {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Series hashes remembered across lookups. A series hash never changes once
 * written, so entries are never invalidated; the cache is only bounded (it
 * starts over when full).
 */
export class SeriesCache {
  private readonly byId = new Map<string, SeriesInfo>();
  constructor(private readonly maxEntries: number) {}

  get(id: string): SeriesInfo | undefined {
    return this.byId.get(id);
  }

  /** Remembers `fresh`, starting over first when they would not fit. */
  addAll(fresh: readonly SeriesInfo[]): void {
    if (this.byId.size + fresh.length > this.maxEntries) this.byId.clear();
    for (const s of fresh) this.byId.set(s.id, s);
  }
}

/** A series description as HMGET returns it; null when it is not (or no longer) written. */
function seriesInfo(id: string, reply: unknown): SeriesInfo | null {
  const [name, labelsJson] = reply as (string | null)[];
  // Indexed but without a description: removed by the index janitor meanwhile, or a flush cut off before writing it.
  if (name == null || labelsJson == null) return null;
  return { id, name, labels: JSON.parse(labelsJson) as Record<string, string> };
}

async function loadSeries(redis: Redis, keys: RedisKeys, ids: readonly string[]): Promise<SeriesInfo[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
  return ((await pipeline.exec()) ?? []).flatMap(([err, reply], i) => {
    if (err) throw err;
    const s = seriesInfo(ids[i]!, reply);
    return s ? [s] : [];
  });
}

/**
 * The series of `ids` (in that order; ids whose hash is not written are left
 * out), from `cache` where it has them, the rest read and remembered.
 */
export async function seriesByIds(redis: Redis, keys: RedisKeys, ids: readonly string[], cache: SeriesCache): Promise<SeriesInfo[]> {
  const loaded = await loadSeries(redis, keys, ids.filter((id) => cache.get(id) === undefined));
  cache.addAll(loaded);
  const byId = new Map(loaded.map((s) => [s.id, s]));
  return ids.flatMap((id) => {
    const s = byId.get(id) ?? cache.get(id);
    return s ? [s] : [];
  });
}

/**
 * Series matching `selector`, sorted by id: the one series lookup of queries
 * and alert rules. Equality matchers with a non-empty value narrow the
 * candidates in Redis (SINTER of index sets); in one pipeline their expiries
 * (ZMSCORE) and the hashes of those not in `cache` (HMGET) are read; a series
 * whose expiry is at or before `nowMs` is left out (its last window and block
 * are gone; the shard's index janitor removes it), one without an expiry
 * (indexed before expiries were kept) counts as live. Every matcher is then
 * checked against the stored labels.
 */
export async function findSeries(redis: Redis, keys: RedisKeys, selector: Selector, cache?: SeriesCache, nowMs = Date.now()): Promise<SeriesInfo[]> {
  const sets = [
    keys.seriesOfMetric(selector.metric),
    ...selector.matchers.filter((m) => m.op === '=' && m.value !== '').map((m) => keys.seriesOfLabel(m.name, m.value)),
  ];
  const ids = (await redis.sinter(...sets)).sort();
  if (ids.length === 0) return [];
  const uncached = cache ? ids.filter((id) => cache.get(id) === undefined) : ids;
  const pipeline = redis.pipeline();
  pipeline.zmscore(keys.seriesExpiry, ...ids);
  for (const id of uncached) pipeline.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
  const [expiries, ...descriptions] = (await pipeline.exec()) ?? [];
  if (expiries?.[0]) throw expiries[0];
  const expiresAt = expiries?.[1] as (string | null)[];
  const loaded = descriptions.flatMap(([err, reply], i) => {
    if (err) throw err;
    const s = seriesInfo(uncached[i]!, reply);
    return s ? [s] : [];
  });
  cache?.addAll(loaded);
  const byId = new Map(loaded.map((s) => [s.id, s]));
  const matches = labelPredicate(selector.matchers);
  return ids.flatMap((id, i) => {
    const until = expiresAt[i];
    if (until != null && Number(until) <= nowMs) return [];
    const s = byId.get(id) ?? cache?.get(id);
    return s && matches(s.labels) ? [s] : [];
  });
}
