import { describe, expect, it } from 'vitest';
import { connectionEnv, parseEnv, parseHostPorts } from '@ringtail/runtime';

describe('host:port lists', () => {
  it('reads a list with spaces around entries', () => {
    expect(parseHostPorts('a:1, 10.0.0.2:26390 ,kafka-0.svc:9092')).toEqual([
      { host: 'a', port: 1 },
      { host: '10.0.0.2', port: 26390 },
      { host: 'kafka-0.svc', port: 9092 },
    ]);
  });

  it.each(['', 'a', 'a:', ':1', 'a:0', 'a:65536', 'a:1,', 'a b:1', 'a:1:2'])('rejects %j naming the entry', (text) => {
    expect(() => parseHostPorts(text)).toThrow(/^expected host:port\[,host:port\.\.\.\] with a port in 1-65535, got '/);
  });

  it('is what KAFKA_BROKERS and REDIS_SENTINELS are read with, naming the variable', () => {
    expect(parseEnv(connectionEnv, { KAFKA_BROKERS: 'k1:9092, k2:9093' }).KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(() => parseEnv(connectionEnv, { KAFKA_BROKERS: 'k1' })).toThrow(/^KAFKA_BROKERS: expected host:port/);
    expect(() => parseEnv(connectionEnv, { REDIS_SENTINELS: 's:99999' })).toThrow(/^REDIS_SENTINELS: expected host:port/);
  });
});
