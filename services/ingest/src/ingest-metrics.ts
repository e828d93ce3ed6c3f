import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';
import type { RoutedBatch } from './raw-batch-router.ts';

/** Ingest's Prometheus metrics (prom-client objects in the service's registry). Updated once per batch, never per sample. */
export function registerIngestMetrics(registry: MetricsRegistry) {
  const registers = [registry];
  return {
    messagesIn: new Counter({ name: 'ringtail_ingest_messages_total', help: 'Raw messages read.', registers }),
    samplesIn: new Counter({ name: 'ringtail_ingest_samples_total', help: 'Samples read (elements of messages that were not rejected whole).', registers }),
    samplesRouted: new Counter({ name: 'ringtail_ingest_samples_routed_total', help: 'Valid samples written to the shard topic.', registers }),
    dlqRecords: new Counter({ name: 'ringtail_ingest_dlq_records_total', help: 'Records written to the DLQ, by rejection code.', labelNames: ['code'] as const, registers }),
    samplesExpired: new Counter({
      name: 'ringtail_ingest_samples_expired_total',
      help: 'Accepted samples not written to a resolution because their window was closed (its end plus MAX_SAMPLE_LATENESS, as of the raw record timestamp), by resolution.',
      labelNames: ['resolution'] as const,
      registers,
    }),
    batchDuration: new Histogram({ name: 'ringtail_ingest_batch_duration_ms', help: 'Time from receiving a raw batch to committing it, ms.', buckets: LATENCY_BUCKETS_MS, registers }),
    rawRecordAgeMs: new Histogram({
      name: 'ringtail_ingest_raw_record_age_ms',
      help: 'Age of the newest raw record of each batch when ingest starts routing it (now - its Kafka timestamp, set by the producer), ms.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    writeDuration: new Histogram({
      name: 'ringtail_ingest_write_duration_ms',
      help: 'Time from receiving a raw batch to the broker acknowledging its shard records (acks -1), ms: routing, queueing and the produce.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    consumerLag: new Gauge({
      name: 'ringtail_ingest_consumer_lag_messages',
      help: 'Messages behind the raw partition high watermark after the last batch, by partition.',
      labelNames: ['partition'] as const,
      registers,
    }),
    writeFailures: new Counter({
      name: 'ringtail_ingest_write_failures_total',
      help: 'Failed shard/DLQ writes (each one recreates the producer and writes the same batches again).',
      registers,
    }),
  };
}

export type IngestMetrics = ReturnType<typeof registerIngestMetrics>;

/** Counts one raw batch whose writes were acknowledged and offsets committed, `durationMs` after it was received. */
export function recordCommittedBatch(metrics: IngestMetrics, routed: RoutedBatch, durationMs: number): void {
  metrics.messagesIn.inc(routed.messages);
  metrics.samplesIn.inc(routed.samples);
  metrics.samplesRouted.inc(routed.routed);
  const byCode = new Map<string, number>();
  for (const entry of routed.dlq) byCode.set(entry.rejection.code, (byCode.get(entry.rejection.code) ?? 0) + 1);
  for (const [code, n] of byCode) metrics.dlqRecords.inc({ code }, n);
  for (const [resolution, n] of routed.expiredByResolution) metrics.samplesExpired.inc({ resolution }, n);
  metrics.batchDuration.observe(durationMs);
}
