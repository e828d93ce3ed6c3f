import { describe, expect, it } from 'vitest';
import { ReplicaWaitPolicy } from '../../../services/shard/src/replica-wait-policy.ts';

describe('ReplicaWaitPolicy', () => {
  it('gives a WAIT the whole timeout in steady state and without an online check', () => {
    const p = new ReplicaWaitPolicy(2000, 250, 5);
    expect([p.checkOnlineFirst, p.nextTimeoutMs()]).toEqual([false, 2000]);
    p.succeeded();
    expect([p.checkOnlineFirst, p.nextTimeoutMs()]).toEqual([false, 2000]);
  });

  it('after a shortfall checks for online replicas and probes briefly, with the whole timeout every fifth WAIT, until one succeeds', () => {
    const p = new ReplicaWaitPolicy(2000, 250, 5);
    const timeouts: number[] = [];
    for (let i = 0; i < 11; i++) {
      timeouts.push(p.nextTimeoutMs());
      p.fellShort();
      expect(p.checkOnlineFirst).toBe(true);
    }
    expect(timeouts).toEqual([2000, 250, 250, 250, 250, 2000, 250, 250, 250, 250, 2000]);
    p.succeeded();
    expect([p.checkOnlineFirst, p.nextTimeoutMs()]).toEqual([false, 2000]);
  });

  it('never probes longer than the configured timeout', () => {
    const p = new ReplicaWaitPolicy(100, 250, 5);
    p.fellShort();
    expect(p.nextTimeoutMs()).toBe(100);
  });
});
