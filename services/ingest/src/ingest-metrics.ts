import { LATENCY_BUCKETS_MS, type Counter, type Gauge, type Histogram, type MetricsRegistry } from '@ringtail/runtime';
import type { RoutedBatch } from './raw-batch-router.ts';

/** Ingest's Prometheus metrics. Updated once per batch, never per sample. */
export interface IngestMetrics {
  readonly messagesIn: Counter;
  readonly samplesIn: Counter;
  readonly samplesRouted: Counter;
  readonly dlqRecords: Counter;
  readonly samplesExpired: Counter;
  readonly batchDuration: Histogram;
  readonly consumerLag: Gauge;
  readonly writeFailures: Counter;
}

export function registerIngestMetrics(registry: MetricsRegistry): IngestMetrics {
  return {
    messagesIn: registry.counter('ringtail_ingest_messages_total', 'Raw messages read.'),
    samplesIn: registry.counter('ringtail_ingest_samples_total', 'Samples read (elements of messages that were not rejected whole).'),
    samplesRouted: registry.counter('ringtail_ingest_samples_routed_total', 'Valid samples written to the shard topic.'),
    dlqRecords: registry.counter('ringtail_ingest_dlq_records_total', 'Records written to the DLQ, by rejection code.'),
    samplesExpired: registry.counter(
      'ringtail_ingest_samples_expired_total',
      'Accepted samples not written to a resolution because their window was past its retention (as of the raw record timestamp), by resolution.',
    ),
    batchDuration: registry.histogram('ringtail_ingest_batch_duration_ms', 'Time from receiving a raw batch to committing it, ms.', LATENCY_BUCKETS_MS),
    consumerLag: registry.gauge('ringtail_ingest_consumer_lag_messages', 'Messages behind the raw partition high watermark after the last batch, by partition.'),
    writeFailures: registry.counter('ringtail_ingest_write_failures_total', 'Failed shard/DLQ writes (each one recreates the producer and writes the same batches again).'),
  };
}

/** Counts one raw batch whose writes were acknowledged and offsets committed, `durationMs` after it was received. */
export function recordCommittedBatch(metrics: IngestMetrics, routed: RoutedBatch, durationMs: number): void {
  metrics.messagesIn.inc(routed.messages);
  metrics.samplesIn.inc(routed.samples);
  metrics.samplesRouted.inc(routed.routed);
  const byCode = new Map<string, number>();
  for (const entry of routed.dlq) byCode.set(entry.rejection.code, (byCode.get(entry.rejection.code) ?? 0) + 1);
  for (const [code, n] of byCode) metrics.dlqRecords.inc(n, { code });
  for (const [resolution, n] of routed.expiredByResolution) metrics.samplesExpired.inc(n, { resolution });
  metrics.batchDuration.observe(durationMs);
}
