import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { MAX_SAMPLES_PER_LIMB_DELTA, withLateness, type BackoffPolicy, type Resolution } from '@ringtail/model';
import {
  connectionEnv,
  consumerEnv,
  consumerTimingsRule,
  httpAuthEnv,
  httpAuthFrom,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  latenessRule,
  latenessSetting,
  parseEnv,
  redisSecurityEnv,
  redisSecurityFrom,
  resolutionsSetting,
  type HostPort,
  type HttpAuth,
  type KafkaSecurity,
  type RedisSecurity,
} from '@ringtail/runtime';

/** The shard worker's environment; like every service, loadConfig maps it to a camelCase config. */
export const shardEnv = connectionEnv
  .extend(consumerEnv.shape)
  .extend(kafkaSecurityEnv)
  .extend(redisSecurityEnv)
  .extend(httpAuthEnv)
  .extend({
    // For logs, metrics and `ringtail ring status` only: membership comes from the consumer group,
    // so replicas need no id of their own (default: host name, pid and a random suffix, which
    // stays distinct for containers that share the host's name and all run as pid 1).
    SHARD_WORKER_ID: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,64}$/, '1-64 letters, digits, _, . and - only')
      .default(() => `${hostname().replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 40)}-${process.pid}-${randomBytes(2).toString('hex')}`),
    // How often each worker publishes its flush time and generation for `ringtail ring status`.
    RING_STATUS_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    // The longest a pending record waits for a flush to start when nothing else starts one
    // (and how often offsets held back by a failed WAIT are retried).
    FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
    // A worker with no flush in flight flushes this long after records arrive (so one flush takes a
    // whole fetch, not its first partition); a busy worker flushes again as soon as the flush in
    // flight finished. Produce→visible is about the linger plus one or two flush durations.
    FLUSH_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(10),
    // How often a slot's flush also writes its coarse resolutions (every one but the finest): between,
    // flushes write only the finest, about one window per series instead of one per resolution.
    // Coarse windows are visible (and alerts on them evaluated) up to this much later; 0 writes
    // every resolution with every flush.
    COARSE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
    // Capped so one window's sum limbs stay exact JS integers (see exact-sum.ts).
    FLUSH_MAX_SAMPLES: z.coerce.number().int().min(1).max(MAX_SAMPLES_PER_LIMB_DELTA).default(200_000),
    // Window resolutions as step:retention, finest first.
    RESOLUTIONS: resolutionsSetting,
    // Ingest's setting too (keep them equal): a window closes this long after its end, by the
    // slot's clock (the latest raw record time applied), and is then compacted into a block.
    MAX_SAMPLE_LATENESS: latenessSetting,
    // How often each worker compacts the closed windows of its slots into blocks; 0 turns compaction off.
    COMPACT_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    // How often each worker removes series whose last window and block expired from the series
    // index (every worker may; the removal is idempotent); 0 leaves expired series indexed.
    INDEX_EXPIRY_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
    // Hot windows one compaction pass moves per slot and resolution: bounds a pass's memory and Redis time.
    COMPACT_MAX_WINDOWS_PER_PASS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    // Replicas a flush must reach (WAIT) before its offsets are committed; 0 only for a replica-less dev Redis.
    WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(1),
    WAIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(2000),
    // Must exceed WAIT_TIMEOUT_MS, or the client gives up on a WAIT Redis is still honouring.
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
    FLUSH_RETRY_INITIAL_MS: z.coerce.number().int().min(1).default(50),
    // A second at most between attempts: a flush held by a failover lands within a second of the promotion.
    FLUSH_RETRY_MAX_MS: z.coerce.number().int().min(1).default(1000),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(1000).default(30_000),
  })
  .refine((c) => c.REDIS_COMMAND_TIMEOUT_MS > c.WAIT_TIMEOUT_MS, {
    path: ['REDIS_COMMAND_TIMEOUT_MS'],
    message: 'must be greater than WAIT_TIMEOUT_MS',
  })
  .superRefine(consumerTimingsRule)
  .superRefine(latenessRule);

export interface ShardConfig {
  readonly kafkaBrokers: readonly string[];
  /** SASL and TLS to Kafka (KAFKA_SASL_*, KAFKA_TLS_*). */
  readonly kafkaSecurity: KafkaSecurity;
  readonly redis: { readonly sentinels: readonly HostPort[]; readonly masterName: string; readonly commandTimeoutMs: number; readonly security: RedisSecurity };
  /** Bearer tokens for /ring (HTTP_BEARER_TOKENS). */
  readonly httpAuth: HttpAuth;
  /** Prefix of topic names, group ids and Redis keys. */
  readonly namespace: string;
  /** SHARD_SLOTS: partitions of the shard topic. */
  readonly shardSlots: number;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly workerId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly ringStatusIntervalMs: number;
  readonly flushIntervalMs: number;
  readonly coarseFlushIntervalMs: number;
  readonly flushLingerMs: number;
  readonly flushMaxSamples: number;
  readonly flushRetry: BackoffPolicy;
  readonly resolutions: readonly Resolution[];
  /** COMPACT_INTERVAL_MS; 0: no compaction. */
  readonly compactIntervalMs: number;
  readonly compactMaxWindowsPerPass: number;
  /** INDEX_EXPIRY_INTERVAL_MS; 0: expired series stay indexed. */
  readonly indexExpiryIntervalMs: number;
  readonly waitReplicas: number;
  readonly waitTimeoutMs: number;
  readonly shutdownGraceMs: number;
}

/** Reads and validates the shard worker's configuration; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ShardConfig {
  const e = parseEnv(shardEnv, env);
  return {
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaSecurity: kafkaSecurityFrom(e),
    redis: { sentinels: e.REDIS_SENTINELS, masterName: e.REDIS_SENTINEL_MASTER, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS, security: redisSecurityFrom(e) },
    httpAuth: httpAuthFrom(e),
    namespace: e.RINGTAIL_NAMESPACE,
    shardSlots: e.SHARD_SLOTS,
    logLevel: e.LOG_LEVEL,
    httpPort: e.HTTP_PORT,
    workerId: e.SHARD_WORKER_ID,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
    ringStatusIntervalMs: e.RING_STATUS_INTERVAL_MS,
    flushIntervalMs: e.FLUSH_INTERVAL_MS,
    coarseFlushIntervalMs: e.COARSE_FLUSH_INTERVAL_MS,
    flushLingerMs: e.FLUSH_LINGER_MS,
    flushMaxSamples: e.FLUSH_MAX_SAMPLES,
    flushRetry: { initialMs: e.FLUSH_RETRY_INITIAL_MS, maxMs: e.FLUSH_RETRY_MAX_MS },
    resolutions: withLateness(e.RESOLUTIONS, e.MAX_SAMPLE_LATENESS),
    compactIntervalMs: e.COMPACT_INTERVAL_MS,
    compactMaxWindowsPerPass: e.COMPACT_MAX_WINDOWS_PER_PASS,
    indexExpiryIntervalMs: e.INDEX_EXPIRY_INTERVAL_MS,
    waitReplicas: e.WAIT_REPLICAS,
    waitTimeoutMs: e.WAIT_TIMEOUT_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
