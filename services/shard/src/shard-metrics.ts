import { LATENCY_BUCKETS_MS, type Counter, type Gauge, type Histogram, type MetricsRegistry } from '@ringtail/runtime';

/** The shard worker's Prometheus metrics. */
export interface ShardMetrics {
  readonly samplesApplied: Counter;
  readonly samplesSkipped: Counter;
  readonly samplesInvalid: Counter;
  readonly recordsUndecodable: Counter;
  readonly flushDurationMs: Histogram;
  readonly flushFailures: Counter;
  readonly flushesFenced: Counter;
  readonly samplesFlushed: Counter;
  readonly pendingSamples: Gauge;
  readonly consumerLag: Gauge;
  readonly recordsRefetched: Counter;
  readonly slotsOwned: Gauge;
  readonly rebalances: Counter;
  readonly rebalanceDurationMs: Histogram;
  readonly slotsMoved: Counter;
}

export function createShardMetrics(registry: MetricsRegistry): ShardMetrics {
  return {
    samplesApplied: registry.counter('ringtail_shard_samples_applied_total', 'Samples folded into windows.'),
    samplesSkipped: registry.counter(
      'ringtail_shard_samples_skipped_total',
      'Samples skipped as duplicates: raw offset at or below the watermark.',
    ),
    samplesInvalid: registry.counter('ringtail_shard_samples_invalid_total', 'Samples dropped: non-finite value or timestamp, unknown series.'),
    recordsUndecodable: registry.counter('ringtail_shard_records_undecodable_total', 'Shard-topic records that are not version-1 shard records.'),
    flushDurationMs: registry.histogram(
      'ringtail_shard_flush_duration_ms',
      'Flush latency in ms: scripts, WAIT and offset commit, retries included.',
      LATENCY_BUCKETS_MS,
    ),
    flushFailures: registry.counter('ringtail_shard_flush_failures_total', 'Failed flush attempts (retried), by error code.'),
    flushesFenced: registry.counter('ringtail_shard_flushes_fenced_total', 'Partition batches fenced by another writer and re-read from Kafka.'),
    samplesFlushed: registry.counter('ringtail_shard_samples_flushed_total', 'Samples made durable in Redis (flush and WAIT succeeded).'),
    pendingSamples: registry.gauge('ringtail_shard_pending_samples', 'Samples aggregated in memory, not yet flushed.'),
    consumerLag: registry.gauge('ringtail_shard_consumer_lag', 'Records behind the high watermark, per shard-topic partition.'),
    recordsRefetched: registry.counter(
      'ringtail_shard_records_refetched_total',
      'Records of a slot kept across a rebalance that Kafka delivered again and that were passed over, not re-applied.',
    ),
    slotsOwned: registry.gauge('ringtail_shard_slots_owned', 'Slots (shard-topic partitions) this worker owns.'),
    rebalances: registry.counter('ringtail_shard_rebalances_total', 'Group rebalances this worker went through (assignments received).'),
    rebalanceDurationMs: registry.histogram(
      'ringtail_shard_rebalance_duration_ms',
      'From the start of a rebalance to the new assignment, in ms (join and sync).',
      LATENCY_BUCKETS_MS,
    ),
    slotsMoved: registry.counter('ringtail_shard_slots_moved_total', 'Slots that changed owner in placements this worker computed as group leader.'),
  };
}
