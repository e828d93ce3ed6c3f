import { describe, expect, it } from 'vitest';
import { StackError, endpointsOf, externalEndpoints, loadStackSettings } from '@ringtail/stack';

describe('stack settings', () => {
  it('defaults to auto mode on loopback ports of its own, never Redis 6379', () => {
    const s = loadStackSettings({ HOME: '/home/u' });
    expect(s.mode).toBe('auto');
    expect(s.topology.kafkaPort).toBe(19092);
    expect(s.topology.kafkaControllerPort).toBe(19093);
    expect([s.topology.redisPrimaryPort, s.topology.redisReplicaPort, ...s.topology.sentinelPorts]).not.toContain(6379);
  });

  it('names the variable at fault', () => {
    expect(() => loadStackSettings({ RINGTAIL_STACK_MODE: 'kubernetes' })).toThrow(/RINGTAIL_STACK_MODE/);
    expect(() => loadStackSettings({ RINGTAIL_KAFKA_PORT: '80' })).toThrow(/RINGTAIL_KAFKA_PORT/);
    try {
      loadStackSettings({ RINGTAIL_REDIS_PORT: 'abc' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StackError);
      expect((err as StackError).code).toBe('STACK_CONFIG_INVALID');
    }
  });

  it('derives the other ports from the base ports', () => {
    const s = loadStackSettings({ RINGTAIL_REDIS_PORT: '20000', RINGTAIL_SENTINEL_PORT: '21000' });
    expect(s.topology.redisReplicaPort).toBe(20001);
    expect(s.topology.sentinelPorts).toEqual([21000, 21001, 21002]);
  });

  it('takes external endpoints from KAFKA_BROKERS and REDIS_SENTINELS', () => {
    const s = loadStackSettings({ RINGTAIL_STACK_MODE: 'external', KAFKA_BROKERS: 'k1:9092,k2:9092', REDIS_SENTINELS: 's1:26379, s2:26379' });
    expect(externalEndpoints(s)).toEqual({
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelMasterName: 'ringtail',
      clientEnv: {},
    });
  });

  it('keeps the secured stack in a folder of its own and hands clients paths, never passwords', () => {
    const open = loadStackSettings({ RINGTAIL_CACHE_DIR: '/c' }).topology;
    const secure = loadStackSettings({ RINGTAIL_CACHE_DIR: '/c', RINGTAIL_STACK_SECURE: 'true' }).topology;
    expect([open.secure, open.stackDir, endpointsOf(open).clientEnv]).toEqual([false, '/c/stack', {}]);
    expect([secure.secure, secure.stackDir]).toEqual([true, '/c/stack-secure']);
    expect(endpointsOf(secure).clientEnv).toEqual({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'ringtail',
      KAFKA_SASL_PASSWORD_FILE: '/c/stack-secure/secrets/kafka-password',
      KAFKA_TLS_CA_FILE: '/c/stack-secure/secrets/ca.crt',
      REDIS_USERNAME: 'ringtail',
      REDIS_PASSWORD_FILE: '/c/stack-secure/secrets/redis-password',
      REDIS_SENTINEL_USERNAME: 'ringtail-sentinel',
      REDIS_SENTINEL_PASSWORD_FILE: '/c/stack-secure/secrets/sentinel-password',
      REDIS_TLS_CA_FILE: '/c/stack-secure/secrets/ca.crt',
    });
    expect(() => loadStackSettings({ RINGTAIL_STACK_SECURE: 'maybe' })).toThrow(/RINGTAIL_STACK_SECURE/);
  });

  it('puts the secured stack on the RINGTAIL_SECURE_* ports, whatever the open stack\'s ports are', () => {
    const open = { RINGTAIL_KAFKA_PORT: '20000', RINGTAIL_REDIS_PORT: '20100', RINGTAIL_SENTINEL_PORT: '20200' };
    const byDefault = loadStackSettings({ ...open, RINGTAIL_STACK_SECURE: 'true' }).topology;
    expect([byDefault.kafkaPort, byDefault.kafkaControllerPort, byDefault.redisPrimaryPort, byDefault.redisReplicaPort]).toEqual([19392, 19393, 16490, 16491]);
    expect(byDefault.sentinelPorts).toEqual([26490, 26491, 26492]);
    const moved = loadStackSettings({ ...open, RINGTAIL_STACK_SECURE: 'true', RINGTAIL_SECURE_KAFKA_PORT: '21000', RINGTAIL_SECURE_REDIS_PORT: '21100', RINGTAIL_SECURE_SENTINEL_PORT: '21200' }).topology;
    expect([moved.kafkaPort, moved.redisPrimaryPort, moved.sentinelPorts[0]]).toEqual([21000, 21100, 21200]);
    const openStack = loadStackSettings({ ...open, RINGTAIL_SECURE_REDIS_PORT: '21100' }).topology;
    expect([openStack.kafkaPort, openStack.redisPrimaryPort, openStack.sentinelPorts[0]]).toEqual([20000, 20100, 20200]);
    expect(() => loadStackSettings({ RINGTAIL_SECURE_REDIS_PORT: '80' })).toThrow(/RINGTAIL_SECURE_REDIS_PORT/);
  });

  it('refuses the external mode without both addresses, and malformed ones', () => {
    expect(() => externalEndpoints(loadStackSettings({ RINGTAIL_STACK_MODE: 'external', KAFKA_BROKERS: 'k:1' }))).toThrow(/REDIS_SENTINELS/);
    expect(() => externalEndpoints(loadStackSettings({ KAFKA_BROKERS: 'k', REDIS_SENTINELS: 's:1' }))).toThrow(/KAFKA_BROKERS: expected host:port/);
  });
});
