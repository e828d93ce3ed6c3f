import type { ChainableCommander, Redis } from 'ioredis';
import { defineLuaCommands } from '@ringtail/runtime';
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
 * out), from `cache` where it has them, the rest read and remembered. Unlike
 * `findSeries` it does not read expiries: its caller (the alerter's change
 * router) holds ids a flush has just written, and an expired one would only
 * name a rule to evaluate, whose own `findSeries` leaves that series out.
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

/** The index sets whose intersection holds the candidates of `selector`. */
function candidateSets(keys: RedisKeys, selector: Selector): string[] {
  return [
    keys.seriesOfMetric(selector.metric),
    ...selector.matchers.filter((m) => m.op === '=' && m.value !== '').map((m) => keys.seriesOfLabel(m.name, m.value)),
  ];
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
  const [found] = await findSeriesOfEach(redis, keys, [selector], cache, nowMs);
  if (found instanceof Error) throw found;
  return found!;
}

/** find-series-1.lua: the candidates of many selectors and their expiries in one call. */
const FIND_SERIES = { ringtailFindSeries: new URL('./lua/find-series-1.lua', import.meta.url) };
/** Selectors per find-series call: bounds how long one call holds Redis (other clients wait behind a script). */
const MAX_SELECTORS_PER_CALL = 500;

type FindSeriesPipeline = ChainableCommander & { ringtailFindSeries(expiries: string, ...groups: string[]): FindSeriesPipeline };

/**
 * `findSeries` for many selectors, for a caller that reads many at once (an
 * alerter tick): one round trip of find-series-1.lua calls (each selector's
 * SINTER and its candidates' expiries, up to MAX_SELECTORS_PER_CALL selectors
 * a call), and a second only for the descriptions of candidates not in
 * `cache`. One SINTER per selector in a pipeline of their own had cost a tick
 * of 1,000 rules 1,000 commands and a round trip more.
 * One entry per selector, in order: its series, or the error its SINTER (or its call) met.
 * @throws the error of the description round trip, which every selector shares
 */
export async function findSeriesOfEach(
  redis: Redis,
  keys: RedisKeys,
  selectors: readonly Selector[],
  cache?: SeriesCache,
  nowMs = Date.now(),
): Promise<(SeriesInfo[] | Error)[]> {
  // Selectors sharing their index sets share one SINTER.
  const setsByKey = new Map<string, string[]>();
  const keyOf = selectors.map((selector) => {
    const sets = candidateSets(keys, selector);
    const key = sets.join('\n');
    setsByKey.set(key, sets);
    return key;
  });
  const distinct = [...setsByKey];
  const candidates = new Map<string, string[] | Error>();
  const expiresAt = new Map<string, string | null>();
  if (distinct.length > 0) {
    defineLuaCommands(redis, FIND_SERIES);
    const pipeline = redis.pipeline() as FindSeriesPipeline;
    for (let i = 0; i < distinct.length; i += MAX_SELECTORS_PER_CALL) {
      const groups = distinct.slice(i, i + MAX_SELECTORS_PER_CALL).flatMap(([, sets]) => [String(sets.length), ...sets]);
      pipeline.ringtailFindSeries(keys.seriesExpiry, ...groups);
    }
    const replies = (await pipeline.exec()) ?? [];
    distinct.forEach(([key], i) => {
      const [err, reply] = replies[Math.floor(i / MAX_SELECTORS_PER_CALL)] ?? [new Error('find-series: no reply')];
      const entry = err ?? (reply as unknown[])[i % MAX_SELECTORS_PER_CALL];
      if (entry instanceof Error) {
        candidates.set(key, entry);
        return;
      }
      const [ids, expiries] = entry as [string[], (string | null)[]];
      ids.forEach((id, j) => expiresAt.set(id, expiries[j] ?? null));
      candidates.set(key, [...ids].sort());
    });
  }
  const ids = [...new Set([...candidates.values()].flatMap((found) => (found instanceof Error ? [] : found)))];
  // Taken before the cache may start over on adding what is loaded now.
  const byId = new Map<string, SeriesInfo>();
  const uncached: string[] = [];
  for (const id of ids) {
    const s = cache?.get(id);
    if (s) byId.set(id, s);
    else uncached.push(id);
  }
  const loaded = await loadSeries(redis, keys, uncached);
  cache?.addAll(loaded);
  for (const s of loaded) byId.set(s.id, s);
  return selectors.map((selector, i) => {
    const found = candidates.get(keyOf[i]!)!;
    if (found instanceof Error) return found;
    const matches = labelPredicate(selector.matchers);
    return found.flatMap((id) => {
      const until = expiresAt.get(id);
      if (until != null && Number(until) <= nowMs) return [];
      const s = byId.get(id);
      return s && matches(s.labels) ? [s] : [];
    });
  });
}
