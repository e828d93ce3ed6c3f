import { seriesIdHex, type ReadRing, type SeriesHasher } from '@ringtail/hashring';

/** Where one series goes. */
export interface SeriesRoute {
  /** 16 lowercase hex chars: xxhash64 of the canonical key. */
  readonly seriesId: string;
  /** Shard worker id that owns the series in this epoch. */
  readonly owner: string;
  /**
   * A uint32 of the series hash that the ring does not use (the ring reads the top
   * bits): the series' shard-topic partition is this modulo the partition count.
   */
  readonly partitionKey: number;
}

/** The routing port ingest needs: canonical series key → id and owner, for one ring epoch. */
export interface SeriesRouter {
  readonly epoch: number;
  route(seriesKey: string): SeriesRoute;
}

/**
 * A `SeriesRouter` over a hash ring: one xxhash64 per series key, with the
 * routes of up to `cacheSize` recent keys remembered (the same series arrives
 * again and again). The cache is dropped whole when full: O(1), no LRU upkeep.
 * The ring must not change under the router; a new epoch gets a new router.
 */
export function createRingRouter(ring: ReadRing, hasher: SeriesHasher, epoch: number, cacheSize = DEFAULT_ROUTE_CACHE_SIZE): SeriesRouter {
  const cache = new Map<string, SeriesRoute>();
  return {
    epoch,
    route(seriesKey) {
      let route = cache.get(seriesKey);
      if (route === undefined) {
        const h = hasher.hash(seriesKey);
        route = { seriesId: seriesIdHex(h), owner: ring.ownerOf(h), partitionKey: h.lo };
        if (cache.size >= cacheSize) cache.clear();
        cache.set(seriesKey, route);
      }
      return route;
    },
  };
}

const DEFAULT_ROUTE_CACHE_SIZE = 100_000;
