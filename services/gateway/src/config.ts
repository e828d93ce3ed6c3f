import { z } from 'zod';
import type { SampleLimits } from '@ringtail/model';
import { bearerTokensSetting, connectionEnv, kafkaSecurityEnv, kafkaSecurityFrom, optionalText, parseEnv, sampleLimitsEnv, sampleLimitsFrom, type KafkaSecurity, type Secret } from '@ringtail/runtime';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const MIB = 1024 * 1024;
const KIB = 1024;

/** The gateway's environment; services/gateway/README.md documents each variable. */
export const gatewayEnv = connectionEnv.pick({ KAFKA_BROKERS: true, RINGTAIL_NAMESPACE: true, LOG_LEVEL: true, HTTP_PORT: true }).extend(kafkaSecurityEnv).extend({
  KAFKA_CLIENT_ID: z.string().min(1).default('ringtail-gateway'),
  // Listen address: loopback unless the gateway is meant to be reached from other hosts.
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  // Space- or comma-separated tokens; when set, every write needs `Authorization: Bearer <one of them>`.
  // Or _FILE: a mounted file holding them (one per line works too); not both.
  GATEWAY_BEARER_TOKENS: optionalText,
  GATEWAY_BEARER_TOKENS_FILE: optionalText,
  // The body as sent (snappy or gzip compressed); checked while it streams in.
  GATEWAY_MAX_BODY_BYTES: positiveInt(4 * MIB),
  // The body once decompressed; a snappy body's declared length is checked before any decompression.
  GATEWAY_MAX_DECOMPRESSED_BYTES: positiveInt(32 * MIB),
  // Samples one request may produce (Prometheus sends 2000 by default, max_samples_per_send).
  GATEWAY_MAX_SAMPLES_PER_REQUEST: positiveInt(50_000),
  // Samples accepted but not yet acknowledged by Kafka; above it requests get 429.
  GATEWAY_MAX_PENDING_SAMPLES: positiveInt(200_000),
  // Producers with one produce request in flight each, over disjoint raw partitions.
  PRODUCERS: positiveInt(2),
  // Bytes per partition in one produce request (one record batch, appended all or nothing):
  // under the raw topic's max.message.bytes (broker default 1 MiB).
  PRODUCE_MAX_BATCH_BYTES: positiveInt(768 * KIB),
  // How long one produce attempt waits for Kafka's acknowledgement. kafkajs tries three
  // times, so a request is answered (503 at worst) within about 3x this plus backoff:
  // under Prometheus' remote_timeout (30 s), so the sender sees our answer, not its own timeout.
  PRODUCE_TIMEOUT_MS: positiveInt(5_000),
  // Retry-After, in seconds, on 429 and 503.
  GATEWAY_RETRY_AFTER_S: positiveInt(2),
  // The same limits ingest applies (one validator, see services/ingest/README.md).
  ...sampleLimitsEnv,
  DLQ_PARTITIONS: positiveInt(1),
  SHUTDOWN_GRACE_MS: positiveInt(30_000),
});

export interface GatewayConfig {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaClientId: string;
  /** SASL and TLS to Kafka (KAFKA_SASL_*, KAFKA_TLS_*). */
  readonly kafkaSecurity: KafkaSecurity;
  readonly namespace: string;
  readonly logLevel: string;
  readonly httpHost: string;
  readonly httpPort: number;
  /** Empty: writes need no token. */
  readonly bearerTokens: readonly Secret[];
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly maxSamplesPerRequest: number;
  readonly maxPendingSamples: number;
  readonly producers: number;
  readonly produceMaxBatchBytes: number;
  readonly produceTimeoutMs: number;
  readonly retryAfterS: number;
  readonly limits: SampleLimits;
  readonly dlqPartitions: number;
  readonly shutdownGraceMs: number;
}

/** Parses the gateway's config from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const e = parseEnv(gatewayEnv, env);
  return {
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaClientId: e.KAFKA_CLIENT_ID,
    kafkaSecurity: kafkaSecurityFrom(e),
    namespace: e.RINGTAIL_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    httpHost: e.HTTP_HOST,
    httpPort: e.HTTP_PORT,
    bearerTokens: bearerTokensSetting(e.GATEWAY_BEARER_TOKENS, e.GATEWAY_BEARER_TOKENS_FILE, 'GATEWAY_BEARER_TOKENS'),
    maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
    maxDecompressedBytes: e.GATEWAY_MAX_DECOMPRESSED_BYTES,
    maxSamplesPerRequest: e.GATEWAY_MAX_SAMPLES_PER_REQUEST,
    maxPendingSamples: e.GATEWAY_MAX_PENDING_SAMPLES,
    producers: e.PRODUCERS,
    produceMaxBatchBytes: e.PRODUCE_MAX_BATCH_BYTES,
    produceTimeoutMs: e.PRODUCE_TIMEOUT_MS,
    retryAfterS: e.GATEWAY_RETRY_AFTER_S,
    limits: sampleLimitsFrom(e),
    dlqPartitions: e.DLQ_PARTITIONS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
