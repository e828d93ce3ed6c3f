/** Kafka topic names, consumer group ids and header names: defined here and nowhere else. */

/** Where producers write samples (JSON: one sample or an array per message). */
export const RAW_TOPIC = 'metrics.raw';
/** Where ingest writes rejected input, with the reason and source coordinates in headers. */
export const DLQ_TOPIC = 'metrics.dlq';
/**
 * Where ingest hands samples to the shard workers: partition s holds the series
 * of slot s (see slots.ts), and the shard group's assigner places slots on workers.
 */
export const SHARD_TOPIC = 'metrics.shard';

/** Partitions of `metrics.raw` when Ringtail creates it; they cap the useful number of ingest instances. */
export const DEFAULT_RAW_PARTITIONS = 8;
/**
 * `max.message.bytes` of the shard topic. A shard record never splits the
 * samples one raw message sends to one slot (the shard's watermark moves per
 * record), so one record can approach twice the largest raw message
 * (MAX_MESSAGE_BYTES, 1 MiB by default) once series names are spelled out.
 */
export const SHARD_TOPIC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export const INGEST_GROUP = 'ringtail-ingest';
/** The one consumer group of every shard worker: Kafka's membership, the ring's placement. */
export const SHARD_GROUP = 'ringtail-shard';

/** Headers on DLQ records. */
export const DLQ_HEADERS = {
  reason: 'ringtail-dlq-reason',
  code: 'ringtail-dlq-code',
  rawTopic: 'ringtail-raw-topic',
  rawPartition: 'ringtail-raw-partition',
  rawOffset: 'ringtail-raw-offset',
  /** On records the gateway rejected: `remote-write` or `otlp`, in place of raw coordinates. */
  gatewayProtocol: 'ringtail-gateway-protocol',
  /** On records the gateway rejected: the request's id (also in the gateway's logs). */
  gatewayRequestId: 'ringtail-gateway-request-id',
} as const;

/**
 * Topic names may be prefixed (tests and side-by-side deployments); the prefix is
 * applied by `TopicNames`, so the names above stay the contract users see.
 */
export interface TopicNames {
  readonly raw: string;
  readonly dlq: string;
  readonly shard: string;
  readonly ingestGroup: string;
  readonly shardGroup: string;
}

export function topicNames(prefix = ''): TopicNames {
  return {
    raw: prefix + RAW_TOPIC,
    dlq: prefix + DLQ_TOPIC,
    shard: prefix + SHARD_TOPIC,
    ingestGroup: prefix + INGEST_GROUP,
    shardGroup: prefix + SHARD_GROUP,
  };
}
