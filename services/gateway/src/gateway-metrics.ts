import { LATENCY_BUCKETS_MS, type Counter, type Gauge, type Histogram, type MetricsRegistry } from '@ringtail/runtime';

/** The gateway's Prometheus metrics. Updated once per request, never per sample. */
export interface GatewayMetrics {
  /** By `protocol` and `status`. */
  readonly requests: Counter;
  /** By `protocol` and `outcome`: accepted, rejected, stale. */
  readonly samples: Counter;
  readonly produceDuration: Histogram;
  readonly pendingSamples: Gauge;
}

export function registerGatewayMetrics(registry: MetricsRegistry): GatewayMetrics {
  return {
    requests: registry.counter('ringtail_gateway_requests_total', 'Write requests answered, by protocol and HTTP status.'),
    samples: registry.counter('ringtail_gateway_samples_total', 'Samples by protocol and outcome: accepted (acknowledged by Kafka), rejected (answered and sent to the DLQ), stale (stale markers dropped).'),
    produceDuration: registry.histogram('ringtail_gateway_produce_duration_ms', 'Time from handing a request to the producer to Kafka acknowledging it, ms.', LATENCY_BUCKETS_MS),
    pendingSamples: registry.gauge('ringtail_gateway_pending_samples', 'Samples accepted and waiting for Kafka acknowledgement.'),
  };
}
