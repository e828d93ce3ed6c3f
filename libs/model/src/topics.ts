/** Kafka topic names, consumer group ids and header names: defined here and nowhere else. */

/** Where producers write samples (JSON: one sample or an array per message). */
export const RAW_TOPIC = 'metrics.raw';
/** Where ingest writes rejected input, with the reason and source coordinates in headers. */
export const DLQ_TOPIC = 'metrics.dlq';
/** The topic a shard worker owns; ingest writes the samples the ring gives that worker here. */
export function shardTopic(workerId: string): string {
  return `metrics.shard.${workerId}`;
}

export const INGEST_GROUP = 'ringtail-ingest';
export function shardGroup(workerId: string): string {
  return `ringtail-shard-${workerId}`;
}

/** Headers on DLQ records. */
export const DLQ_HEADERS = {
  reason: 'ringtail-dlq-reason',
  code: 'ringtail-dlq-code',
  rawTopic: 'ringtail-raw-topic',
  rawPartition: 'ringtail-raw-partition',
  rawOffset: 'ringtail-raw-offset',
} as const;

/**
 * Topic names may be prefixed (tests and side-by-side deployments); the prefix is
 * applied by `TopicNames`, so the names above stay the contract users see.
 */
export interface TopicNames {
  readonly raw: string;
  readonly dlq: string;
  shard(workerId: string): string;
  readonly ingestGroup: string;
  shardGroup(workerId: string): string;
}

export function topicNames(prefix = ''): TopicNames {
  return {
    raw: prefix + RAW_TOPIC,
    dlq: prefix + DLQ_TOPIC,
    shard: (w) => prefix + shardTopic(w),
    ingestGroup: prefix + INGEST_GROUP,
    shardGroup: (w) => prefix + shardGroup(w),
  };
}
