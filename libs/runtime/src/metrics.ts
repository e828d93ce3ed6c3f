import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Prometheus metrics are prom-client objects, declared beside the code that
 * moves them (`new Counter({ name, help, labelNames, registers: [registry] })`),
 * in one registry per running service so several services can share a process
 * (tests) without sharing counters.
 */
export { Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';

/**
 * A fresh registry holding prom-client's default process and Node.js metrics
 * (CPU, memory, file descriptors, event-loop lag and utilisation, GC), served
 * by the ops server's /metrics.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in milliseconds, from sub-millisecond Redis calls to multi-second stalls. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
