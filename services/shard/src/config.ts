import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MAX_SAMPLES_PER_LIMB_DELTA } from '@ringtail/model';
import { connectionEnv, parseEnv, resolutionsSetting } from '@ringtail/runtime';


export const shardEnv = connectionEnv
  .extend({
    // For logs, metrics and `ringtail ring status` only: membership comes from the consumer group,
    // so replicas need no id of their own (default: host name, pid and a random suffix, which
    // stays distinct for containers that share the host's name and all run as pid 1).
    SHARD_WORKER_ID: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,64}$/, '1-64 letters, digits, _, . and - only')
      .default(() => `${hostname().replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 40)}-${process.pid}-${randomBytes(2).toString('hex')}`),
    // A member silent this long (a crash, a pause) is dropped from the group and its slots move.
    // kafkajs has no background heartbeat: a batch handler heartbeats itself while it works.
    KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(10_000),
    KAFKA_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    // How often each worker publishes its flush time and generation for `ringtail ring status`.
    RING_STATUS_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
    // Capped so one window's sum limbs stay exact JS integers (see exact-sum.ts).
    FLUSH_MAX_SAMPLES: z.coerce.number().int().min(1).max(MAX_SAMPLES_PER_LIMB_DELTA).default(200_000),
    // Window resolutions as step:retention, finest first.
    RESOLUTIONS: resolutionsSetting,
    // Replicas a flush must reach (WAIT) before its offsets are committed; 0 only for a replica-less dev Redis.
    WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(1),
    WAIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(2000),
    // Must exceed WAIT_TIMEOUT_MS, or the client gives up on a WAIT Redis is still honouring.
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
    FLUSH_RETRY_INITIAL_MS: z.coerce.number().int().min(1).default(50),
    FLUSH_RETRY_MAX_MS: z.coerce.number().int().min(1).default(5000),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(1000).default(30_000),
  })
  .refine((c) => c.REDIS_COMMAND_TIMEOUT_MS > c.WAIT_TIMEOUT_MS, {
    path: ['REDIS_COMMAND_TIMEOUT_MS'],
    message: 'must be greater than WAIT_TIMEOUT_MS',
  })
  .refine((c) => c.KAFKA_HEARTBEAT_INTERVAL_MS * 3 <= c.KAFKA_SESSION_TIMEOUT_MS, {
    path: ['KAFKA_HEARTBEAT_INTERVAL_MS'],
    message: 'must be at most a third of KAFKA_SESSION_TIMEOUT_MS',
  });

export type ShardConfig = z.infer<typeof shardEnv>;

/** Reads and validates the shard worker's configuration; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ShardConfig {
  return parseEnv(shardEnv, env);
}
