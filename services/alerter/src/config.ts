import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Resolution } from '@ringtail/model';
import { connectionEnv, httpAuthEnv, httpAuthFrom, parseEnv, redisSecurityEnv, redisSecurityFrom, resolutionsSetting, type HttpAuth, type SentinelTarget } from '@ringtail/runtime';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;


/** The alerter's environment. Rules and receivers are documented in services/alerter/README.md. */
export const alerterEnv = connectionEnv
  .pick({ REDIS_SENTINELS: true, REDIS_SENTINEL_MASTER: true, RINGTAIL_NAMESPACE: true, LOG_LEVEL: true, HTTP_PORT: true, SHARD_SLOTS: true })
  .extend(redisSecurityEnv)
  .extend(httpAuthEnv)
  .extend({
    RULES_FILE: z.string().min(1, 'path of the YAML rule file'),
    // The safety net behind change-driven evaluation (no-data policies, an announcement trimmed
    // before it was read): each interval, every rule not evaluated within it is.
    EVAL_INTERVAL_MS: positiveInt(5000),
    // Evaluate a rule as soon as a shard flush changes a series it selects (the slots' change streams).
    CHANGE_DRIVEN_EVALUATION: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
    // A receiver named `default` for rule files that declare none.
    WEBHOOK_URL: z.url().optional(),
    // Space-separated `whsec_<base64>` secrets; each one signs (rotation).
    WEBHOOK_SECRETS: z
      .string()
      .optional()
      .transform((s) => (s ?? '').split(/\s+/).filter(Boolean))
      .pipe(z.array(z.string().regex(SECRET, 'expected space-separated whsec_<base64> secrets'))),
    // Failover time after a leader dies: a successor takes over at most this long after the last renewal.
    LEASE_TTL_MS: z.coerce.number().int().min(500).default(5000),
    // Webhook attempts in flight at once across receivers.
    DISPATCH_CONCURRENCY: positiveInt(32),
    // The dispatcher is woken by each commit; polling only catches retries coming due.
    DISPATCH_POLL_MS: positiveInt(100),
    RULES_POLL_MS: positiveInt(1000),
    // A notification is sent only once this many replicas hold the commit that
    // enqueued it, so a failover cannot lose a sent notification's record. 0 for a lone Redis.
    MIN_REPLICAS: z.coerce.number().int().min(0).default(1),
    REPLICA_WAIT_MS: positiveInt(1000),
    OUTBOX_MAX_LEN: positiveInt(100_000),
    RESOLUTIONS: resolutionsSetting,
    // Must be unique per running instance: it identifies the lease holder.
    INSTANCE_ID: z.string().min(1).optional(),
    SHUTDOWN_GRACE_MS: positiveInt(10_000),
  });

export interface AlerterConfig {
  readonly redis: SentinelTarget;
  /** Bearer tokens for the alerter's API (HTTP_BEARER_TOKENS). */
  readonly httpAuth: HttpAuth;
  readonly namespace: string;
  /** SHARD_SLOTS: the window keys' slot tags depend on it. */
  readonly shardSlots: number;
  readonly logLevel: string;
  readonly httpPort: number;
  readonly rulesFile: string;
  readonly evalIntervalMs: number;
  readonly changeDrivenEvaluation: boolean;
  readonly webhookUrl: string | null;
  readonly webhookSecrets: readonly string[];
  readonly leaseTtlMs: number;
  readonly dispatchConcurrency: number;
  readonly dispatchPollMs: number;
  readonly rulesPollMs: number;
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
  readonly outboxMaxLen: number;
  readonly resolutions: readonly Resolution[];
  readonly instanceId: string;
  readonly shutdownGraceMs: number;
}

/** Parses the alerter's config from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): AlerterConfig {
  const e = parseEnv(alerterEnv, env);
  return {
    redis: { sentinels: e.REDIS_SENTINELS, masterName: e.REDIS_SENTINEL_MASTER, security: redisSecurityFrom(e) },
    httpAuth: httpAuthFrom(e),
    namespace: e.RINGTAIL_NAMESPACE,
    shardSlots: e.SHARD_SLOTS,
    logLevel: e.LOG_LEVEL,
    httpPort: e.HTTP_PORT,
    rulesFile: e.RULES_FILE,
    evalIntervalMs: e.EVAL_INTERVAL_MS,
    changeDrivenEvaluation: e.CHANGE_DRIVEN_EVALUATION,
    webhookUrl: e.WEBHOOK_URL ?? null,
    webhookSecrets: e.WEBHOOK_SECRETS,
    leaseTtlMs: e.LEASE_TTL_MS,
    dispatchConcurrency: e.DISPATCH_CONCURRENCY,
    dispatchPollMs: e.DISPATCH_POLL_MS,
    rulesPollMs: e.RULES_POLL_MS,
    minReplicas: e.MIN_REPLICAS,
    replicaWaitMs: e.REPLICA_WAIT_MS,
    outboxMaxLen: e.OUTBOX_MAX_LEN,
    resolutions: e.RESOLUTIONS,
    instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
