import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ringtail/runtime';
import { loadConfig } from '../../../services/shard/src/config.ts';

describe('shard loadConfig', () => {
  it('needs no worker id: replicas get distinct ones by default', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.workerId).toMatch(/^[a-zA-Z0-9_.-]{1,64}$/);
    expect(a.shardSlots).toBe(64);
    expect(a.sessionTimeoutMs).toBe(10_000);
    expect(a.heartbeatIntervalMs).toBe(1000);
    // Two configs in one process share a pid; the random suffix still tells them apart.
    expect(b.workerId).not.toBe(a.workerId);
  });

  it('names the variable at fault', () => {
    expect(() => loadConfig({ SHARD_SLOTS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ SHARD_SLOTS: '0' })).toThrow(/SHARD_SLOTS/);
    expect(() => loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '3000' })).toThrow(/KAFKA_HEARTBEAT_INTERVAL_MS/);
    expect(() => loadConfig({ SHARD_WORKER_ID: 'has space' })).toThrow(/SHARD_WORKER_ID/);
  });
});
