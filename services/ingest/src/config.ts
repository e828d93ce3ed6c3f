import { z } from 'zod';
import { DEFAULT_RAW_PARTITIONS, withLateness, type SampleAgePolicy, type SampleLimits } from '@ringtail/model';
import { connectionEnv, consumerEnv, consumerTimingsRule, kafkaSecurityEnv, kafkaSecurityFrom, latenessRule, latenessSetting, parseEnv, resolutionsSetting, sampleLimitsEnv, sampleLimitsFrom, type KafkaSecurity } from '@ringtail/runtime';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const KIB = 1024;

/** Ingest's environment. Limits are documented in services/ingest/README.md. */
export const ingestEnv = connectionEnv
  .pick({ KAFKA_BROKERS: true, RINGTAIL_NAMESPACE: true, LOG_LEVEL: true, HTTP_PORT: true, SHARD_SLOTS: true })
  .extend(consumerEnv.shape)
  .extend(kafkaSecurityEnv)
  .extend({
    KAFKA_CLIENT_ID: z.string().min(1).default('ringtail-ingest'),
    // Partition counts used when ingest creates missing topics. Raw partitions cap
    // the number of useful ingest instances.
    RAW_PARTITIONS: positiveInt(DEFAULT_RAW_PARTITIONS),
    DLQ_PARTITIONS: positiveInt(1),
    TOPIC_REPLICATION_FACTOR: positiveInt(1),
    ...sampleLimitsEnv,
    // The shard workers' windows (the same setting): a sample whose window is past a
    // resolution's retention is not written to it, and one past every retention is rejected.
    RESOLUTIONS: resolutionsSetting,
    // How long after its end each resolution's window takes samples (judged against the raw record's
    // timestamp); a sample later than that in every resolution is rejected (TIMESTAMP_TOO_OLD).
    MAX_SAMPLE_LATENESS: latenessSetting,
    // Mimir's creation grace period: a sample this far ahead of its Kafka record is rejected.
    MAX_SAMPLE_FUTURE_MS: z.coerce.number().int().min(0).default(10 * 60 * 1000),
    // Bounds the cardinality limiter's memory: metric names remembered at once.
    CARDINALITY_TRACKED_METRICS: positiveInt(10_000),
    // Shard records stay far below Kafka's default 1 MiB message limit even when
    // the byte estimate is off by 3x (heavily escaped label values).
    SHARD_RECORD_MAX_BYTES: positiveInt(256 * KIB),
    SHARD_RECORD_MAX_SAMPLES: positiveInt(5_000),
    // Bytes per partition in one produce request (one record batch): must stay under
    // the shard topics' max.message.bytes (broker default 1 MiB) or the broker refuses it.
    PRODUCE_MAX_BATCH_BYTES: positiveInt(768 * KIB),
    // Samples routed but not yet acknowledged before the consumer waits: enough to keep
    // routing while a large write is in flight, small enough to bound memory (~1 KiB each).
    WRITE_PIPELINE_MAX_SAMPLES: positiveInt(100_000),
    SHUTDOWN_GRACE_MS: positiveInt(30_000),
  })
  .superRefine(consumerTimingsRule)
  .superRefine(latenessRule);

export interface IngestConfig {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaClientId: string;
  /** SASL and TLS to Kafka (KAFKA_SASL_*, KAFKA_TLS_*). */
  readonly kafkaSecurity: KafkaSecurity;
  /** Prefix of topic names and group ids. */
  readonly namespace: string;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly rawPartitions: number;
  /** Partitions of the shard topic (SHARD_SLOTS): a series' slot is its hash modulo this. */
  readonly shardSlots: number;
  readonly dlqPartitions: number;
  readonly replicationFactor: number;
  readonly limits: SampleLimits;
  readonly agePolicy: SampleAgePolicy;
  readonly cardinalityTrackedMetrics: number;
  readonly shardRecordMaxBytes: number;
  readonly shardRecordMaxSamples: number;
  readonly produceMaxBatchBytes: number;
  readonly writePipelineMaxSamples: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly shutdownGraceMs: number;
}

/** Parses ingest's config from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): IngestConfig {
  const e = parseEnv(ingestEnv, env);
  return {
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaClientId: e.KAFKA_CLIENT_ID,
    kafkaSecurity: kafkaSecurityFrom(e),
    namespace: e.RINGTAIL_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    httpPort: e.HTTP_PORT,
    rawPartitions: e.RAW_PARTITIONS,
    shardSlots: e.SHARD_SLOTS,
    dlqPartitions: e.DLQ_PARTITIONS,
    replicationFactor: e.TOPIC_REPLICATION_FACTOR,
    limits: sampleLimitsFrom(e),
    agePolicy: { resolutions: withLateness(e.RESOLUTIONS, e.MAX_SAMPLE_LATENESS), maxFutureMs: e.MAX_SAMPLE_FUTURE_MS },
    cardinalityTrackedMetrics: e.CARDINALITY_TRACKED_METRICS,
    shardRecordMaxBytes: e.SHARD_RECORD_MAX_BYTES,
    shardRecordMaxSamples: e.SHARD_RECORD_MAX_SAMPLES,
    produceMaxBatchBytes: e.PRODUCE_MAX_BATCH_BYTES,
    writePipelineMaxSamples: e.WRITE_PIPELINE_MAX_SAMPLES,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
