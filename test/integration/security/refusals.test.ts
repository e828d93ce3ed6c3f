import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkKafkaAccess, ConnectionRefusedError, kafkaSecurityFrom, OPEN_KAFKA, sentinelPrimary } from '@ringtail/runtime';
import { ServiceProcess, STACK_USERS, stackClientSecurity } from '@ringtail/stack';
import { randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';
import { readLog, secureStackUp, type SecureStack } from '../../support/secure-stack.ts';
import { alerterEnv, thresholdRules, writeRuleFile } from '../alerter/support.ts';

const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;
const CLI = new URL('../../../libs/cli/bin/ringtail.mjs', import.meta.url).pathname;

let stack: SecureStack;
let ca: string;
let primaryPort: number;

beforeAll(async () => {
  stack = await secureStackUp('security/refusals');
  ca = readFileSync(stack.credentials.caFile, 'utf8');
  const primary = await sentinelPrimary(stack.endpoints.sentinels[0]!, stack.endpoints.sentinelMasterName, stackClientSecurity({ ...stack.endpoints.clientEnv }).redis);
  primaryPort = primary!.port;
});

/**
 * PING on one direct connection that never retries; resolves to the reply or the
 * refusal (ioredis emits a failed AUTH as an 'error' event, then fails the connect).
 */
async function ping(port: number, options: RedisOptions): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, ...options });
  let firstError: Error | undefined;
  client.on('error', (err: Error) => (firstError ??= err));
  try {
    await client.connect();
    return await client.ping();
  } catch (err) {
    return `refused: ${(firstError ?? (err as Error)).message}`;
  } finally {
    client.disconnect();
  }
}

describe('the secured stack refuses clients without the right credentials or TLS', () => {
  for (const [what, port, user, password] of [
    ['a Redis data node', () => primaryPort, STACK_USERS.redis, () => stack.passwords.redis],
    ['a Sentinel', () => stack.endpoints.sentinels[0]!.port, STACK_USERS.sentinel, () => stack.passwords.sentinel],
  ] as const) {
    it(`${what} answers only its user with its password over TLS`, async () => {
      expect(await ping(port(), { username: user, password: password(), tls: { ca } })).toBe('PONG');
      expect(await ping(port(), { username: user, password: 'wrong-password', tls: { ca } })).toMatch(/^refused: WRONGPASS/);
      expect(await ping(port(), { tls: { ca } })).toMatch(/^refused: NOAUTH/);
      // Plaintext on a TLS port: the server drops the connection before any reply.
      expect(await ping(port(), { username: user, password: password() })).toMatch(/^refused: /);
    });
  }

  it('the Sentinels do not take the data nodes\' password, nor the data nodes the Sentinels\'', async () => {
    expect(await ping(stack.endpoints.sentinels[1]!.port, { username: STACK_USERS.redis, password: stack.passwords.redis, tls: { ca } })).toMatch(/^refused: WRONGPASS/);
    expect(await ping(primaryPort, { username: STACK_USERS.sentinel, password: stack.passwords.sentinel, tls: { ca } })).toMatch(/^refused: WRONGPASS/);
  });

  /** describeCluster on one admin that never retries; resolves to 'ok' or the error's name. */
  async function kafkaAttempt(config: Pick<KafkaConfig, 'ssl' | 'sasl'>): Promise<string> {
    const admin = new Kafka({ clientId: 'refusal-test', brokers: [...stack.endpoints.kafkaBrokers], logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 }, ...config }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return 'ok';
    } catch (err) {
      return `refused: ${(err as Error).name}`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  it('Kafka answers SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN over TLS and refuses a wrong password, no SASL and no TLS', async () => {
    const sasl = (mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain', password: string) => ({ mechanism, username: STACK_USERS.kafka, password }) as KafkaConfig['sasl'];
    for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
      expect(await kafkaAttempt({ ssl: { ca: [ca] }, sasl: sasl(mechanism, stack.passwords.kafka) }), mechanism).toBe('ok');
    }
    expect(await kafkaAttempt({ ssl: { ca: [ca] }, sasl: sasl('scram-sha-512', 'wrong-password') })).toBe('refused: KafkaJSSASLAuthenticationError');
    expect(await kafkaAttempt({ ssl: { ca: [ca] } })).toMatch(/^refused: /);
    expect(await kafkaAttempt({ sasl: sasl('scram-sha-512', stack.passwords.kafka) })).toMatch(/^refused: /);
  });
});

describe('the Kafka access check', () => {
  it('passes a client configured as its broker demands, and one whose broker is down', async () => {
    await checkKafkaAccess(stack.endpoints.kafkaBrokers, stackClientSecurity({ ...stack.endpoints.clientEnv }).kafka);
    await checkKafkaAccess(stackEndpoints().kafkaBrokers, OPEN_KAFKA);
    // A port nothing listens on: not a refusal, kafkajs retries it as usual.
    await checkKafkaAccess(['127.0.0.1:1'], OPEN_KAFKA);
  });

  it('names TLS and SASL for a plaintext client without credentials', async () => {
    const err = await checkKafkaAccess(stack.endpoints.kafkaBrokers, kafkaSecurityFrom({ KAFKA_TLS: false })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionRefusedError);
    expect((err as ConnectionRefusedError).settings).toEqual(['KAFKA_TLS', 'KAFKA_TLS_CA_FILE', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE']);
    expect((err as Error).message).toMatch(/requires TLS and SASL \(.*SCRAM-SHA-256.*\)/);
  });
});

describe('Ringtail services refused by the secured stack stop and name the setting', () => {
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
  });

  /** Starts `entry` with `env`, expects it to exit instead of becoming ready, and returns its log. */
  async function failedStart(name: string, entry: string, env: Record<string, string>): Promise<string> {
    const p = new ServiceProcess({ name: `${name}-${Date.now()}`, entry, env, logDir: LOG_DIR });
    started.push(p);
    await expect(p.start(90_000)).rejects.toThrow(/exited with 1/);
    return readLog(p.logFile);
  }

  it.each([
    ['a wrong Redis password', { REDIS_PASSWORD_FILE: '', REDIS_PASSWORD: 'wrong-redis-pw' }, /ConnectionRefusedError.*Redis refused the credentials.*REDIS_PASSWORD/],
    ['a wrong Sentinel password', { REDIS_SENTINEL_PASSWORD_FILE: '', REDIS_SENTINEL_PASSWORD: 'wrong-sentinel-pw' }, /ConnectionRefusedError.*Sentinel refused the credentials.*REDIS_SENTINEL_PASSWORD/],
    ['a wrong Kafka password', { KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'wrong-kafka-pw' }, /ConnectionRefusedError.*Kafka refused the credentials.*KAFKA_SASL_PASSWORD/],
  ])('a shard worker with %s exits with an error naming it', async (_what, override, expected) => {
    const env = { ...stackEnv(stack.endpoints, randomNamespace('refused')), LOG_LEVEL: 'warn', ...override };
    const log = await failedStart('shard-refused', 'services/shard/src/main.ts', env);
    expect(log).toMatch(expected);
    expect(log).not.toMatch(/wrong-(redis|sentinel|kafka)-pw/);
  });

  // Without TLS or SASL configured, the secured ports only close the connection: the error must still say what to set.
  const NO_KAFKA_TLS = { KAFKA_TLS_CA_FILE: '' };
  const NO_KAFKA_SASL = { KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD_FILE: '' };
  const NO_REDIS_TLS = { REDIS_TLS_CA_FILE: '' };
  const KAFKA_NEEDS_TLS = /Kafka broker at 127\.0\.0\.1:\d+ requires TLS.*check KAFKA_TLS, KAFKA_TLS_CA_FILE/;
  const KAFKA_NEEDS_SASL = /Kafka broker at 127\.0\.0\.1:\d+ requires SASL \(.*SCRAM-SHA-512.*\).*check KAFKA_SASL_MECHANISM/;
  const REDIS_NEEDS_TLS = /Redis Sentinel at 127\.0\.0\.1:\d+ requires TLS.*check REDIS_TLS, REDIS_TLS_CA_FILE/;
  it.each([
    ['ingest', 'no Kafka TLS', 'services/ingest/src/main.ts', NO_KAFKA_TLS, KAFKA_NEEDS_TLS],
    ['ingest', 'no Kafka SASL', 'services/ingest/src/main.ts', NO_KAFKA_SASL, KAFKA_NEEDS_SASL],
    ['a shard worker', 'no Kafka TLS', 'services/shard/src/main.ts', NO_KAFKA_TLS, KAFKA_NEEDS_TLS],
    ['a shard worker', 'no Kafka SASL', 'services/shard/src/main.ts', NO_KAFKA_SASL, KAFKA_NEEDS_SASL],
    ['a shard worker', 'no Redis TLS', 'services/shard/src/main.ts', NO_REDIS_TLS, REDIS_NEEDS_TLS],
    ['the alerter', 'no Redis TLS', 'services/alerter/src/main.ts', NO_REDIS_TLS, REDIS_NEEDS_TLS],
  ])('%s with %s exits 1 naming the setting', async (who, what, entry, override, expected) => {
    const namespace = randomNamespace('unsecured');
    const base = who === 'the alerter' ? alerterEnv(stack.endpoints, namespace, writeRuleFile(thresholdRules('http://127.0.0.1:9/hook', 'unsecured_temp'))) : stackEnv(stack.endpoints, namespace);
    const started = performance.now();
    const log = await failedStart(`${entry.split('/')[1]}-unsecured`, entry, { ...base, LOG_LEVEL: 'warn', ...override });
    process.stdout.write(`[security/refusals] ${who} with ${what} exited after ${Math.round(performance.now() - started)} ms\n`);
    expect(log).toContain('"type":"ConnectionRefusedError"');
    expect(log).toMatch(expected);
  });

  it.each([
    ['ring status', 'no Kafka TLS', ['ring', 'status'], NO_KAFKA_TLS, KAFKA_NEEDS_TLS],
    ['produce', 'no Kafka SASL', ['produce', '--samples', '10'], NO_KAFKA_SASL, KAFKA_NEEDS_SASL],
  ])('the CLI command %s with %s exits 1 naming the setting', async (_command, _what, args, override, expected) => {
    const env = { ...process.env, ...stackEnv(stack.endpoints, randomNamespace('unsecured-cli')), ...override };
    const failure = await promisify(execFile)(process.execPath, [CLI, ...args], { env, timeout: 60_000 }).then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(expected);
  });

  it('ingest with a wrong Kafka password exits with an error naming KAFKA_SASL_PASSWORD', async () => {
    const env = { ...stackEnv(stack.endpoints, randomNamespace('refused')), LOG_LEVEL: 'warn', KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'wrong-kafka-pw' };
    const log = await failedStart('ingest-refused', 'services/ingest/src/main.ts', env);
    expect(log).toMatch(/Kafka refused the credentials.*KAFKA_SASL_PASSWORD/);
    expect(log).not.toContain('wrong-kafka-pw');
  });
});
