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

async function loadSeries(redis: Redis, keys: RedisKeys, ids: readonly string[]): Promise<SeriesInfo[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
  const replies = (await pipeline.exec()) ?? [];
  return replies.flatMap(([err, reply], i) => {
    if (err) throw err;
    const [name, labelsJson] = reply as (string | null)[];
    // Indexed but its hash not written yet (the flush writes the index first): left out, seen next time.
    if (name == null || labelsJson == null) return [];
    return [{ id: ids[i]!, name, labels: JSON.parse(labelsJson) as Record<string, string> }];
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
 * candidates in Redis (SINTER of index sets), the candidates' hashes are read
 * (HMGET, pipelined; from `cache` when given), and every matcher is then
 * checked against the stored labels.
 */
export async function findSeries(redis: Redis, keys: RedisKeys, selector: Selector, cache?: SeriesCache): Promise<SeriesInfo[]> {
  const sets = [
    keys.seriesOfMetric(selector.metric),
    ...selector.matchers.filter((m) => m.op === '=' && m.value !== '').map((m) => keys.seriesOfLabel(m.name, m.value)),
  ];
  const ids = (await redis.sinter(...sets)).sort();
  const loaded = await loadSeries(redis, keys, cache ? ids.filter((id) => cache.get(id) === undefined) : ids);
  cache?.addAll(loaded);
  const byId = new Map(loaded.map((s) => [s.id, s]));
  const matches = labelPredicate(selector.matchers);
  return ids.flatMap((id) => {
    const s = byId.get(id) ?? cache?.get(id);
    return s && matches(s.labels) ? [s] : [];
  });
}
