import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';

/** The shard worker's Prometheus metrics (prom-client objects in the worker's registry). */
export function createShardMetrics(registry: MetricsRegistry) {
  const registers = [registry];
  return {
    samplesApplied: new Counter({ name: 'ringtail_shard_samples_applied_total', help: 'Samples folded into windows.', registers }),
    samplesSkipped: new Counter({
      name: 'ringtail_shard_samples_skipped_total',
      help: 'Samples skipped as duplicates: raw offset at or below the watermark.',
      registers,
    }),
    samplesCoarseCatchUp: new Counter({
      name: 'ringtail_shard_samples_coarse_catch_up_total',
      help: 'Samples the finest resolution already held, re-read and folded into the coarse resolutions only (their watermark lags).',
      registers,
    }),
    windowsWrittenKnown: new Counter({
      name: 'ringtail_shard_windows_written_known_total',
      help: 'Windows a flush wrote outright, known as stored (known-windows.ts).',
      registers,
    }),
    windowsMerged: new Counter({ name: 'ringtail_shard_windows_merged_total', help: 'Windows a flush script merged a delta into (not known to the worker).', registers }),
    flushesNotAsKnown: new Counter({
      name: 'ringtail_shard_flushes_not_as_known_total',
      help: "Slot scripts refused because the slot was not as the worker knew it (another writer, a lost write, an expired window); sent again as deltas.",
      registers,
    }),
    samplesInvalid: new Counter({ name: 'ringtail_shard_samples_invalid_total', help: 'Samples dropped: non-finite value or timestamp, unknown series.', registers }),
    recordsUndecodable: new Counter({ name: 'ringtail_shard_records_undecodable_total', help: 'Shard-topic records that are not version-1 shard records.', registers }),
    flushDurationMs: new Histogram({
      name: 'ringtail_shard_flush_duration_ms',
      help: 'Flush latency in ms: scripts, WAIT and offset commit, retries included.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    replicaWaitDurationMs: new Histogram({
      name: 'ringtail_shard_replica_wait_duration_ms',
      help: 'The part of a flush spent waiting for replicas (INFO and WAIT), in ms, whether they answered or not.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    flushPhaseMs: new Histogram({
      name: 'ringtail_shard_flush_phase_duration_ms',
      help: 'One phase of a flush in ms, by phase: dlq (late samples), scripts (every slot of the batch), commit (Kafka offsets); the replicas\' part is ringtail_shard_replica_wait_duration_ms.',
      labelNames: ['phase'] as const,
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    flushQueueMs: new Histogram({
      name: 'ringtail_shard_flush_queue_ms',
      help: 'From the first record folded after a flush took its batch to the next flush taking it, in ms: how long the oldest pending sample waited for its flush to start.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    recordAgeAtFetchMs: new Histogram({
      name: 'ringtail_shard_record_age_at_fetch_ms',
      help: 'Age of the newest record of each fetched batch when the worker starts folding it (now - its Kafka timestamp, written by ingest), in ms.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    flushFailures: new Counter({ name: 'ringtail_shard_flush_failures_total', help: 'Failed flush attempts (retried), by error code.', labelNames: ['code'] as const, registers }),
    flushesFenced: new Counter({ name: 'ringtail_shard_flushes_fenced_total', help: 'Partition batches fenced by another writer and re-read from Kafka.', registers }),
    samplesFlushed: new Counter({ name: 'ringtail_shard_samples_flushed_total', help: 'Samples made durable in Redis (flush and WAIT succeeded).', registers }),
    pendingSamples: new Gauge({ name: 'ringtail_shard_pending_samples', help: 'Samples aggregated in memory, not yet flushed.', registers }),
    consumerLag: new Gauge({
      name: 'ringtail_shard_consumer_lag',
      help: 'Records behind the high watermark, per shard-topic partition.',
      labelNames: ['partition'] as const,
      registers,
    }),
    recordsRefetched: new Counter({
      name: 'ringtail_shard_records_refetched_total',
      help: 'Records of a slot kept across a rebalance that Kafka delivered again and that were passed over, not re-applied.',
      registers,
    }),
    slotsOwned: new Gauge({ name: 'ringtail_shard_slots_owned', help: 'Slots (shard-topic partitions) this worker owns.', registers }),
    rebalances: new Counter({ name: 'ringtail_shard_rebalances_total', help: 'Group rebalances this worker went through (assignments received).', registers }),
    rebalanceDurationMs: new Histogram({
      name: 'ringtail_shard_rebalance_duration_ms',
      help: 'From the start of a rebalance to the new assignment, in ms (join and sync).',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    samplesLate: new Counter({
      name: 'ringtail_shard_samples_late_total',
      help: 'Samples whose window was closed (compacted) in every resolution: written to the DLQ as TIMESTAMP_TOO_OLD.',
      registers,
    }),
    samplesClosed: new Counter({
      name: 'ringtail_shard_samples_closed_total',
      help: 'Samples not written to a resolution because compaction had closed their window there, by resolution.',
      labelNames: ['resolution'] as const,
      registers,
    }),
    windowsCompacted: new Counter({ name: 'ringtail_shard_windows_compacted_total', help: 'Hot windows moved into blocks.', registers }),
    blocksMoved: new Counter({
      name: 'ringtail_shard_compaction_blocks_moved_total',
      help: 'Blocks skipped by compaction because another writer changed them meanwhile (their windows are retried).',
      registers,
    }),
    compactionDurationMs: new Histogram({
      name: 'ringtail_shard_compaction_duration_ms',
      help: 'One compaction pass over a slot, in ms.',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    }),
    slotsMoved: new Counter({ name: 'ringtail_shard_slots_moved_total', help: 'Slots that changed owner in placements this worker computed as group leader.', registers }),
  };
}

export type ShardMetrics = ReturnType<typeof createShardMetrics>;
