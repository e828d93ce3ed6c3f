import type { Kafka } from 'kafkajs';
import {
  checkKafkaAccess,
  checkRedisAccess,
  connectionEnv,
  createKafka,
  createSentinelClient,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  redisSecurityEnv,
  redisSecurityFrom,
  type Logger,
  type SentinelTarget,
} from '@ringtail/runtime';
import type { Redis } from 'ioredis';

/** What every CLI command that reaches Kafka or Redis reads: endpoints, credentials and TLS, as the services do. */
export const cliEnv = connectionEnv.extend(kafkaSecurityEnv).extend(redisSecurityEnv);

type CliSettings = Parameters<typeof kafkaSecurityFrom>[0] & Parameters<typeof redisSecurityFrom>[0] & {
  readonly REDIS_SENTINELS: SentinelTarget['sentinels'];
  readonly REDIS_SENTINEL_MASTER: string;
};

/**
 * A Kafka client for a command, with the security of parsed cliEnv settings (reads
 * the *_FILE settings), once a broker answered that it takes them; throws
 * ConnectionRefusedError naming the settings when it demands TLS or SASL they lack.
 */
export async function connectCliKafka(e: CliSettings & { readonly KAFKA_BROKERS: readonly string[] }, clientId: string, log: Logger): Promise<Kafka> {
  const security = kafkaSecurityFrom(e);
  await checkKafkaAccess(e.KAFKA_BROKERS, security);
  return createKafka(e.KAFKA_BROKERS, clientId, log, { security });
}

// A command is one short request: a refusal must show at once, a Redis that is down within a few seconds.
const REDIS_ACCESS_CHECK_MS = 5000;

/** A Sentinel-mode client for a command, once Redis accepted it; throws ConnectionRefusedError naming the setting. */
export async function connectCliRedis(e: CliSettings, name: string): Promise<Redis> {
  const redis = createSentinelClient({ sentinels: e.REDIS_SENTINELS, masterName: e.REDIS_SENTINEL_MASTER, security: redisSecurityFrom(e) }, name);
  await checkRedisAccess(redis, REDIS_ACCESS_CHECK_MS);
  return redis;
}
