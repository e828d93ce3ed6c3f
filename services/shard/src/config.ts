import { z } from 'zod';
import { DEFAULT_SHARD_TOPIC_PARTITIONS, MAX_SAMPLES_PER_LIMB_DELTA } from '@ringtail/model';
import { connectionEnv, parseEnv, resolutionsSetting } from '@ringtail/runtime';


export const shardEnv = connectionEnv
  .extend({
    // Names the worker's topic (metrics.shard.<id>) and consumer group.
    SHARD_WORKER_ID: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and - only'),
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
    // Partitions of the shard topic when the worker has to create it; ingest puts a series in partition (low 32 hash bits) % this.
    SHARD_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(DEFAULT_SHARD_TOPIC_PARTITIONS),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(1000).default(30_000),
  })
  .refine((c) => c.REDIS_COMMAND_TIMEOUT_MS > c.WAIT_TIMEOUT_MS, {
    path: ['REDIS_COMMAND_TIMEOUT_MS'],
    message: 'must be greater than WAIT_TIMEOUT_MS',
  });

export type ShardConfig = z.infer<typeof shardEnv>;

/** Reads and validates the shard worker's configuration; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): ShardConfig {
  return parseEnv(shardEnv, env);
}
