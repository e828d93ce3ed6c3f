import { z } from 'zod';
import { DEFAULT_RESOLUTIONS, DEFAULT_SAMPLE_LIMITS, DEFAULT_SHARD_SLOTS, MAX_SHARD_SLOTS, parseResolutions, withLateness, type Resolution, type SampleLimits } from '@ringtail/model';
import { formatHostPort, parseHostPorts, type HostPort } from './host-ports.ts';

/** A configuration error naming the environment variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

/** Parses `env` with `schema`; throws ConfigError naming the first bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(String(issue?.path.join('.') ?? '?'), issue?.message ?? 'invalid');
}

/** `host:port,host:port` as a list of {host, port} (see parseHostPorts). */
export const hostPortList = z
  .string()
  .min(1)
  .transform((s, ctx): HostPort[] => {
    try {
      return parseHostPorts(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/**
 * `RESOLUTIONS`: window step:retention pairs, finest first (`10s:6h,1m:7d,1h:90d`).
 * Shard workers write and the alerter reads these windows, so both parse it here.
 */
export const resolutionsSetting = z
  .string()
  .optional()
  .transform((text, ctx): Resolution[] => {
    if (text === undefined || text.trim() === '') return [...DEFAULT_RESOLUTIONS];
    try {
      return parseResolutions(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** Settings shared by every service that talks to Kafka and Redis. */
export const connectionEnv = z.object({
  KAFKA_BROKERS: hostPortList.default([{ host: '127.0.0.1', port: 19092 }]).transform((brokers) => brokers.map(formatHostPort)),
  REDIS_SENTINELS: hostPortList.default([
    { host: '127.0.0.1', port: 26390 },
    { host: '127.0.0.1', port: 26391 },
    { host: '127.0.0.1', port: 26392 },
  ]),
  REDIS_SENTINEL_MASTER: z.string().min(1).default('ringtail'),
  // Prefix for topics, groups and Redis keys: lets tests and side-by-side installs share a stack.
  RINGTAIL_NAMESPACE: z.string().regex(/^[a-zA-Z0-9_.-]*$/).default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Partitions of the shard topic: the ring's slots, and the most shard workers that can share
  // the work. Set once per deployment: ingest routes by it, readers find windows by it.
  SHARD_SLOTS: z.coerce.number().int().min(1).max(MAX_SHARD_SLOTS).default(DEFAULT_SHARD_SLOTS),
  // 0 picks a free port; the chosen one is logged.
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),
});
export type ConnectionEnv = z.infer<typeof connectionEnv>;

const limit = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The sample limits (`LIMIT_ENV_KEYS`), for the schema of every process that
 * validates samples: ingest and the gateway must judge alike.
 */
export const sampleLimitsEnv = {
  MAX_LABELS_PER_SERIES: limit(DEFAULT_SAMPLE_LIMITS.maxLabelsPerSeries),
  MAX_NAME_LENGTH: limit(DEFAULT_SAMPLE_LIMITS.maxNameLength),
  MAX_LABEL_VALUE_LENGTH: limit(DEFAULT_SAMPLE_LIMITS.maxLabelValueBytes),
  MAX_MESSAGE_BYTES: limit(DEFAULT_SAMPLE_LIMITS.maxMessageBytes),
  MAX_SAMPLES_PER_MESSAGE: limit(DEFAULT_SAMPLE_LIMITS.maxSamplesPerMessage),
  // Per ingest instance, not global (see SeriesCardinalityLimiter).
  MAX_SERIES_PER_METRIC: limit(DEFAULT_SAMPLE_LIMITS.maxSeriesPerMetric),
  // A valid message is 3 deep; the bound keeps hostile nesting (`[[[[...`) away from
  // everything that recurses over a parsed message.
  MAX_JSON_DEPTH: limit(DEFAULT_SAMPLE_LIMITS.maxJsonDepth),
};

/** The `SampleLimits` of env parsed with `sampleLimitsEnv`. */
export function sampleLimitsFrom(e: { [K in keyof typeof sampleLimitsEnv]: number }): SampleLimits {
  return {
    maxLabelsPerSeries: e.MAX_LABELS_PER_SERIES,
    maxNameLength: e.MAX_NAME_LENGTH,
    maxLabelValueBytes: e.MAX_LABEL_VALUE_LENGTH,
    maxMessageBytes: e.MAX_MESSAGE_BYTES,
    maxSamplesPerMessage: e.MAX_SAMPLES_PER_MESSAGE,
    maxSeriesPerMetric: e.MAX_SERIES_PER_METRIC,
    maxJsonDepth: e.MAX_JSON_DEPTH,
  };
}

/** Settings of every service that consumes Kafka in a consumer group (ingest, shard workers). */
export const consumerEnv = z.object({
  // A member silent this long (a crash, a pause) is dropped from the group and its partitions
  // move. kafkajs has no background heartbeat: a batch handler heartbeats itself while it works.
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(10_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
});

/**
 * MAX_SAMPLE_LATENESS, read beside RESOLUTIONS by ingest and the shard worker
 * (keep them equal): `10s:5m,1m:10m` per resolution name, defaults in
 * `defaultLatenessMs`. Checked against RESOLUTIONS by `latenessRule`, applied by `withLateness`.
 */
export const latenessSetting = z.string().optional();

/** The check of MAX_SAMPLE_LATENESS against RESOLUTIONS (`.superRefine(latenessRule)`). */
export function latenessRule(c: { RESOLUTIONS: readonly Resolution[]; MAX_SAMPLE_LATENESS?: string | undefined }, ctx: z.RefinementCtx): void {
  try {
    withLateness(c.RESOLUTIONS, c.MAX_SAMPLE_LATENESS);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['MAX_SAMPLE_LATENESS'], message: (err as Error).message });
  }
}

/** The check every consumerEnv user applies (`.superRefine(consumerTimingsRule)`): Kafka needs several heartbeats per session. */
export function consumerTimingsRule(c: { KAFKA_SESSION_TIMEOUT_MS: number; KAFKA_HEARTBEAT_INTERVAL_MS: number }, ctx: z.RefinementCtx): void {
  if (c.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > c.KAFKA_SESSION_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_HEARTBEAT_INTERVAL_MS'], message: 'must be at most a third of KAFKA_SESSION_TIMEOUT_MS' });
  }
}
