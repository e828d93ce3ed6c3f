import { inspect } from 'node:util';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  httpAuthEnv,
  httpAuthFrom,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  kafkaSecurityOptions,
  parseEnv,
  redisSecurityEnv,
  redisSecurityFrom,
  Secret,
  sentinelSecurityOptions,
} from '@ringtail/runtime';
import { configErrorOf, settingFiles } from '../../support/config-files.ts';

const kafkaSchema = z.object(kafkaSecurityEnv);
const redisSchema = z.object(redisSecurityEnv);
const kafka = (env: Record<string, string>) => kafkaSecurityFrom(parseEnv(kafkaSchema, env));
const redis = (env: Record<string, string>) => redisSecurityFrom(parseEnv(redisSchema, env));
const { file } = settingFiles('ringtail-security-env-');
const thrownBy = configErrorOf;

describe('Secret', () => {
  it('prints as [redacted] through String, JSON and util.inspect, and reveals its value only on request', () => {
    const s = new Secret('hunter2-value');
    expect(String(s)).toBe('[redacted]');
    expect(`${s}`).toBe('[redacted]');
    expect(JSON.stringify({ password: s })).toBe('{"password":"[redacted]"}');
    expect(inspect({ nested: { s } })).not.toContain('hunter2-value');
    expect(s.reveal()).toBe('hunter2-value');
  });
});

describe('Kafka security settings', () => {
  it('are open when nothing is set, and an empty value counts as unset', () => {
    expect(kafka({})).toEqual({ sasl: null, tls: null });
    expect(kafka({ KAFKA_SASL_MECHANISM: '', KAFKA_SASL_PASSWORD: '', KAFKA_TLS: '' })).toEqual({ sasl: null, tls: null });
  });

  it('read SCRAM credentials with the password from a file, one trailing newline dropped', () => {
    const s = kafka({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ringtail', KAFKA_SASL_PASSWORD_FILE: file('kpw', 's3cret-kafka\n') });
    expect(s.sasl?.mechanism).toBe('scram-sha-512');
    expect(s.sasl?.password.reveal()).toBe('s3cret-kafka');
    expect(kafkaSecurityOptions(s).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ringtail', password: 's3cret-kafka' });
    expect(kafkaSecurityOptions(s).ssl).toBeUndefined();
  });

  it('turn TLS on with a CA file alone, and hand kafkajs its PEM text', () => {
    const s = kafka({ KAFKA_TLS_CA_FILE: file('ca.pem', 'CA-PEM') });
    expect(kafkaSecurityOptions(s).ssl).toEqual({ ca: ['CA-PEM'] });
    expect(kafkaSecurityOptions(kafka({ KAFKA_TLS: 'true' })).ssl).toEqual({});
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'x' }, 'KAFKA_SASL_USERNAME'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD'],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'x' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'x', KAFKA_SASL_PASSWORD_FILE: '/x' }, 'KAFKA_SASL_PASSWORD'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' }, 'KAFKA_SASL_PASSWORD_FILE'],
    [{ KAFKA_TLS_CERT_FILE: '/c.pem' }, 'KAFKA_TLS_KEY_FILE'],
    [{ KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'KAFKA_TLS_CA_FILE'],
  ])('reject %j naming %s', (env, variable) => {
    expect(thrownBy(() => kafka(env as Record<string, string>)).variable).toBe(variable);
  });

  it('never put a secret value in an error message', () => {
    const err = thrownBy(() => kafka({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'leaky-value-1' }));
    expect(err.message).not.toContain('leaky-value-1');
    expect(thrownBy(() => kafka({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD_FILE: file('empty', '\n'), KAFKA_SASL_USERNAME: 'u' })).variable).toBe('KAFKA_SASL_PASSWORD_FILE');
  });
});

describe('Redis security settings', () => {
  it('keep data-node and Sentinel credentials apart and give ioredis both, with TLS to both', () => {
    const s = redis({
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD_FILE: file('rpw', 'data-pw\n'),
      REDIS_SENTINEL_USERNAME: 'sent',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_TLS_CA_FILE: file('rca.pem', 'R-CA'),
      REDIS_TLS_CERT_FILE: file('rc.pem', 'R-CERT'),
      REDIS_TLS_KEY_FILE: file('rk.pem', 'R-KEY'),
    });
    expect(sentinelSecurityOptions(s)).toEqual({
      username: 'app',
      password: 'data-pw',
      sentinelUsername: 'sent',
      sentinelPassword: 'sentinel-pw',
      tls: { ca: 'R-CA', cert: 'R-CERT', key: 'R-KEY' },
      sentinelTLS: { ca: 'R-CA', cert: 'R-CERT', key: 'R-KEY' },
      enableTLSForSentinelMode: true,
    });
    expect(JSON.stringify(s)).not.toMatch(/data-pw|sentinel-pw|R-KEY/);
  });

  it('use the default user (requirepass) when only a password is set', () => {
    expect(sentinelSecurityOptions(redis({ REDIS_PASSWORD: 'p' }))).toEqual({ username: undefined, password: 'p' });
    expect(sentinelSecurityOptions(redis({}))).toEqual({});
  });

  it.each([
    [{ REDIS_USERNAME: 'u' }, 'REDIS_PASSWORD'],
    [{ REDIS_SENTINEL_USERNAME: 'u' }, 'REDIS_SENTINEL_PASSWORD'],
    [{ REDIS_SENTINEL_PASSWORD: 'a', REDIS_SENTINEL_PASSWORD_FILE: '/b' }, 'REDIS_SENTINEL_PASSWORD'],
    [{ REDIS_TLS_KEY_FILE: '/k.pem' }, 'REDIS_TLS_CERT_FILE'],
    [{ REDIS_TLS: 'maybe' }, 'REDIS_TLS'],
  ])('reject %j naming %s', (env, variable) => {
    expect(thrownBy(() => redis(env as Record<string, string>)).variable).toBe(variable);
  });
});

describe('HTTP bearer token settings', () => {
  const auth = (env: Record<string, string>) => httpAuthFrom(parseEnv(z.object(httpAuthEnv), env));

  it('read space- or comma-separated tokens, from the variable or a file', () => {
    expect(auth({ HTTP_BEARER_TOKENS: 'a b,c' }).tokens.map((t) => t.reveal())).toEqual(['a', 'b', 'c']);
    expect(auth({ HTTP_BEARER_TOKENS_FILE: file('tokens', 'x\ny\n') }).tokens.map((t) => t.reveal())).toEqual(['x', 'y']);
    expect(auth({})).toEqual({ tokens: [], opsEndpoints: false });
  });

  it('refuse to guard the ops endpoints without a token', () => {
    expect(thrownBy(() => auth({ HTTP_AUTH_OPS_ENDPOINTS: 'true' })).variable).toBe('HTTP_AUTH_OPS_ENDPOINTS');
  });
});
