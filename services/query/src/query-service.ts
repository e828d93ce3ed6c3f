import type { IncomingMessage, ServerResponse } from 'node:http';
import { redisKeys } from '@ringtail/model';
import { RedisWindowSource } from '@ringtail/promql';
import { SeriesCache } from '@ringtail/query';
import { checkRedisAccess, createMetricsRegistry, createSentinelClient, startOpsServer, type Logger, type Route } from '@ringtail/runtime';
import { requestParams } from './api-params.ts';
import type { QueryApiConfig } from './config.ts';
import { apiErrorOf } from './errors.ts';
import { API_PATHS, PrometheusApi } from './prometheus-api.ts';
import { registerQueryMetrics } from './query-metrics.ts';

/** Reported by /api/v1/status/buildinfo. */
export const QUERY_API_VERSION = '0.1.0';
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface QueryService {
  readonly port: number;
  /** Stops serving and disconnects from Redis. Idempotent. */
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** How long the start waits for Redis to answer before it gives up. */
const REDIS_ACCESS_CHECK_MS = 10_000;

/** Serves Prometheus' query API beside /metrics, /healthz and /readyz on one port. */
export async function startQueryService(config: QueryApiConfig, log: Logger): Promise<QueryService> {
  const redis = createSentinelClient(config.redis, 'ringtail-query');
  redis.on('error', (err: Error) => log.debug({ err }, 'redis connection error'));
  // A refused login or TLS handshake stops the start with the setting to check, not a silent retry.
  await checkRedisAccess(redis, REDIS_ACCESS_CHECK_MS);
  const source = new RedisWindowSource(redis, redisKeys(config.namespace, config.shardSlots), new SeriesCache(config.seriesCacheEntries));
  const api = new PrometheusApi(source, { ...config, nowMs: () => Date.now(), monotonicMs: () => performance.now(), version: QUERY_API_VERSION });
  const registry = createMetricsRegistry();
  const metrics = registerQueryMetrics(registry);

  const route: Route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const endpoint = path.startsWith('/api/v1/label/') ? '/api/v1/label/:name/values' : path;
    const started = performance.now();
    let status = 200;
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        status = 405;
        res.writeHead(405, { allow: 'GET, POST', 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `method ${req.method} not allowed` }));
        return;
      }
      const data = await api.answer(path, await requestParams(req));
      send(res, 200, { status: 'success', data });
    } catch (err) {
      const e = apiErrorOf(err);
      status = e.status;
      if (e.errorType === 'internal' || e.errorType === 'unavailable') log.warn({ err, path }, 'query failed');
      send(res, e.status, { status: 'error', errorType: e.errorType, error: e.message });
    } finally {
      const known = Object.values(API_PATHS).includes(endpoint as never) || endpoint.startsWith('/api/v1/label/');
      metrics.requests.inc({ endpoint: known ? endpoint : 'other', status: String(status) });
      metrics.duration.observe({ endpoint: known ? endpoint : 'other' }, performance.now() - started);
    }
  };
  const ops = await startOpsServer({
    port: config.httpPort,
    host: config.httpHost,
    metrics: registry,
    isReady: () => redis.status === 'ready',
    notReadyReason: () => `redis ${redis.status}`,
    fallback: route,
    auth: config.httpAuth,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  });
  log.info({ port: ops.port, host: config.httpHost }, 'query API listening');
  let stopped: Promise<void> | undefined;
  return {
    port: ops.port,
    stop: () =>
      (stopped ??= (async () => {
        await ops.close();
        redis.disconnect();
      })()),
  };
}
