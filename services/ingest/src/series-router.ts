import { seriesIdHex, type SeriesHasher } from '@ringtail/hashring';
import { slotOfHashLow } from '@ringtail/model';

/** Where one series goes. */
export interface SeriesRoute {
  /** 16 lowercase hex chars: xxhash64 of the canonical key. */
  readonly seriesId: string;
  /** The series' slot: the shard-topic partition its samples are written to. */
  readonly slot: number;
}

/** The routing port ingest needs: canonical series key → id and slot. */
export interface SeriesRouter {
  route(seriesKey: string): SeriesRoute;
}

/**
 * A `SeriesRouter` onto `slotCount` slots: one xxhash64 per series key, the
 * slot a pure function of the hash (no knowledge of workers), so every ingest
 * instance and every replay routes a series to the same partition. The routes
 * of up to `cacheSize` recent keys are remembered (the same series arrives
 * again and again); the cache is dropped whole when full: O(1), no LRU upkeep.
 */
export function createSlotRouter(hasher: SeriesHasher, slotCount: number, cacheSize = DEFAULT_ROUTE_CACHE_SIZE): SeriesRouter {
  const cache = new Map<string, SeriesRoute>();
  return {
    route(seriesKey) {
      let route = cache.get(seriesKey);
      if (route === undefined) {
        const h = hasher.hash(seriesKey);
        route = { seriesId: seriesIdHex(h), slot: slotOfHashLow(h.lo, slotCount) };
        if (cache.size >= cacheSize) cache.clear();
        cache.set(seriesKey, route);
      }
      return route;
    },
  };
}

const DEFAULT_ROUTE_CACHE_SIZE = 100_000;
