import { z } from 'zod';
import { connectionEnv, httpAuthEnv, httpAuthFrom, parseEnv, redisSecurityEnv, redisSecurityFrom, resolutionsSetting, type HttpAuth, type SentinelTarget } from '@ringtail/runtime';
import type { QueryLimits } from './prometheus-api.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The query API's environment; services/query/README.md documents each variable. */
export const queryEnv = connectionEnv
  .pick({ REDIS_SENTINELS: true, REDIS_SENTINEL_MASTER: true, RINGTAIL_NAMESPACE: true, LOG_LEVEL: true, HTTP_PORT: true, SHARD_SLOTS: true })
  // Redis and Sentinel logins and TLS, and bearer tokens for the API (the README's Security section).
  .extend(redisSecurityEnv)
  .extend(httpAuthEnv)
  .extend({
    // Listen address: loopback unless Grafana runs on another host.
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    // The windows the shard workers write (same variable, same default): a query reads one of them.
    RESOLUTIONS: resolutionsSetting,
    // Series one selector may match; past it the query is refused (422) before any window is read.
    QUERY_MAX_SERIES: positiveInt(20_000),
    // Windows one query may read over all its selectors (Prometheus' --query.max-samples counterpart).
    QUERY_MAX_WINDOWS: positiveInt(4_000_000),
    // Points per series of a range query: Prometheus' own fixed limit is 11,000.
    QUERY_MAX_POINTS_PER_SERIES: positiveInt(11_000),
    // Longest a query may run; a request's `timeout` parameter can only shorten it (Prometheus: 2m).
    QUERY_TIMEOUT_MS: positiveInt(120_000),
    // How far back an instant selector looks for a sample (Prometheus' --query.lookback-delta, 5m).
    QUERY_LOOKBACK_DELTA_MS: positiveInt(300_000),
    // Series descriptions kept in memory between queries (a series' labels never change).
    SERIES_CACHE_ENTRIES: positiveInt(200_000),
    SHUTDOWN_GRACE_MS: positiveInt(10_000),
  });

export interface QueryApiConfig extends QueryLimits {
  readonly redis: SentinelTarget;
  /** Bearer tokens the API requires (none: open); /healthz, /readyz and /metrics stay open unless configured. */
  readonly httpAuth: HttpAuth;
  readonly namespace: string;
  readonly shardSlots: number;
  readonly logLevel: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly seriesCacheEntries: number;
  readonly shutdownGraceMs: number;
}

/** Parses the query API's config from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): QueryApiConfig {
  const e = parseEnv(queryEnv, env);
  return {
    redis: { sentinels: e.REDIS_SENTINELS, masterName: e.REDIS_SENTINEL_MASTER, security: redisSecurityFrom(e) },
    httpAuth: httpAuthFrom(e),
    namespace: e.RINGTAIL_NAMESPACE,
    shardSlots: e.SHARD_SLOTS,
    logLevel: e.LOG_LEVEL,
    httpHost: e.HTTP_HOST,
    httpPort: e.HTTP_PORT,
    resolutions: e.RESOLUTIONS,
    maxSeries: e.QUERY_MAX_SERIES,
    maxWindows: e.QUERY_MAX_WINDOWS,
    maxPointsPerSeries: e.QUERY_MAX_POINTS_PER_SERIES,
    timeoutMs: e.QUERY_TIMEOUT_MS,
    lookbackMs: e.QUERY_LOOKBACK_DELTA_MS,
    seriesCacheEntries: e.SERIES_CACHE_ENTRIES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
