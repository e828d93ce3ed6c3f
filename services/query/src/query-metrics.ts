import { Counter, Histogram, LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';

/** The query API's Prometheus metrics, updated once per request. */
export function registerQueryMetrics(registry: MetricsRegistry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'ringtail_query_requests_total',
      help: 'API requests answered, by endpoint and HTTP status.',
      labelNames: ['endpoint', 'status'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'ringtail_query_duration_ms',
      help: 'Time to answer an API request, by endpoint, ms.',
      labelNames: ['endpoint'] as const,
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
  };
}

export type QueryMetrics = ReturnType<typeof registerQueryMetrics>;
