import { describe, expect, it } from 'vitest';
import { ConnectionRefusedError, createLogger, kafkaRefusal, redisRefusal, Secret } from '@ringtail/runtime';

function capture(): { lines: string[]; stream: { write(s: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}

describe('the process logger', () => {
  it('redacts passwords, tokens and ioredis command arguments wherever a log object holds them', () => {
    const { lines, stream } = capture();
    const log = createLogger('redaction-test', 'info', stream).child({ component: 'test' });
    // ioredis puts the failed command on its errors: AUTH's arguments are the user and the password.
    const replyError = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'auth', args: ['ringtail', 'pw-in-args'] } });
    log.error({ err: replyError }, 'auth failed');
    log.info({ config: { redis: { security: { data: { username: 'u', password: 'pw-plain-string' } } } } }, 'config');
    log.info({ kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'pw-sasl' } } }, 'kafka');
    log.info({ req: { headers: { authorization: 'Bearer tok-header' } } }, 'request');
    log.info({ security: { sentinel: { password: new Secret('pw-secret-object') } } }, 'secret object');
    const out = lines.join('');
    expect(out).toContain('auth failed');
    expect(out).toContain('WRONGPASS');
    for (const value of ['pw-in-args', 'pw-plain-string', 'pw-sasl', 'tok-header', 'pw-secret-object']) expect(out).not.toContain(value);
    expect(out).toContain('[redacted]');
  });
});

describe('refusal classification', () => {
  it('tells a data node\'s refused login from a Sentinel\'s and names the settings', () => {
    const data = redisRefusal(new Error('WRONGPASS invalid username-password pair or user is disabled.'));
    expect(data).toBeInstanceOf(ConnectionRefusedError);
    expect(data?.server).toBe('redis');
    expect(data?.settings).toContain('REDIS_PASSWORD');
    const sentinel = redisRefusal(new Error('failed to connect to sentinel 127.0.0.1:26390 because NOAUTH Authentication required.'));
    expect(sentinel?.server).toBe('sentinel');
    expect(sentinel?.message).toMatch(/REDIS_SENTINEL_PASSWORD/);
    expect(redisRefusal(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))?.settings).toContain('REDIS_TLS_CA_FILE');
  });

  it('leaves an unreachable server to the usual retries', () => {
    expect(redisRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(redisRefusal(new Error('All sentinels are unreachable. Retrying from scratch after 100ms.'))).toBeNull();
    expect(kafkaRefusal(Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' }))).toBeNull();
  });

  it('finds a Kafka SASL refusal inside the error that ended the retries', () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    const wrapped = Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: sasl });
    expect(kafkaRefusal(wrapped)?.settings).toContain('KAFKA_SASL_PASSWORD');
  });
});
