import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';

/** The gateway's Prometheus metrics (prom-client objects in its registry). Updated once per request, never per sample. */
export function registerGatewayMetrics(registry: MetricsRegistry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'ringtail_gateway_requests_total',
      help: 'Write requests answered, by protocol and HTTP status.',
      labelNames: ['protocol', 'status'] as const,
      registers,
    }),
    /** By `protocol` and `outcome`: accepted, rejected, stale. */
    samples: new Counter({
      name: 'ringtail_gateway_samples_total',
      help: 'Samples by protocol and outcome: accepted (acknowledged by Kafka), rejected (answered and sent to the DLQ), stale (stale markers dropped).',
      labelNames: ['protocol', 'outcome'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'ringtail_gateway_produce_duration_ms',
      help: 'Time from handing a request to the producer to Kafka acknowledging it, ms.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    pendingSamples: new Gauge({ name: 'ringtail_gateway_pending_samples', help: 'Samples accepted and waiting for Kafka acknowledgement.', registers }),
  };
}

export type GatewayMetrics = ReturnType<typeof registerGatewayMetrics>;
