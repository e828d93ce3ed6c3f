import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AlertStore } from '../../../services/alerter/src/alert-store.ts';
import { alerterKeys, type AlerterKeys } from '@ringtail/model';
import { LeaseLostError, Outbox } from '../../../services/alerter/src/index.ts';
import { LeaderLease } from '../../../services/alerter/src/leader-lease.ts';
import { withScripts, type ScriptClient } from '../../../services/alerter/src/scripts.ts';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { testRedis } from './support.ts';

const notification = (id: string) => ({ id, receiver: 'ops', groupKey: 'ops:{}', body: '{"status":"firing"}', createdAtMs: Date.now() });
const changes = (id: string) => ({ alerts: new Map(), groups: new Map(), notifications: [notification(id)] });

describe('the leader lease fences every write', () => {
  let redis: ScriptClient;
  let keys: AlerterKeys;
  let clock: number;

  beforeEach(() => {
    redis = withScripts(testRedis(stackEndpoints()));
    keys = alerterKeys(randomNamespace('alerter-fence'));
    clock = Date.now();
  });
  afterEach(() => (redis as Redis).disconnect());

  const lease = (id: string, ttlMs = 60_000) => new LeaderLease(redis, keys, id, ttlMs, () => clock);

  it('grants the lease to one instance at a time with increasing fencing tokens', async () => {
    const [a, b] = [lease('a', 200), lease('b', 200)];
    const va = await a.refresh();
    expect(va).toMatch(/^\d+ a$/);
    expect(await b.refresh()).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    const vb = await b.refresh();
    expect(Number(vb!.split(' ')[0])).toBeGreaterThan(Number(va!.split(' ')[0]));
    expect(await a.refresh()).toBeNull();
  });

  it('rejects the commit of a deposed leader and applies a re-sent commit once', async () => {
    const store = new AlertStore(redis, keys, 1000);
    const a = lease('a', 200);
    const deposed = (await a.refresh())!;
    await new Promise((r) => setTimeout(r, 300));
    const current = (await lease('b').refresh())!;
    await expect(store.commit(deposed, 1, changes('msg_x'))).rejects.toBeInstanceOf(LeaseLostError);
    expect(await redis.xlen(keys.outbox)).toBe(0);

    await store.commit(current, 2, changes('msg_y'));
    await store.commit(current, 2, changes('msg_y'));
    expect(await redis.xlen(keys.outbox)).toBe(1);
    expect(await redis.zcard(keys.due)).toBe(1);
  });

  it('rejects settling a delivery by a deposed leader', async () => {
    const store = new AlertStore(redis, keys, 1000);
    const outbox = new Outbox(redis, keys, 1000);
    const first = (await lease('a', 200).refresh())!;
    await store.commit(first, 1, changes('msg_z'));
    const [entry] = (await outbox.poll(Date.now() + 1000, 10, 0, 0)).entries;
    await new Promise((r) => setTimeout(r, 300));
    await lease('b').refresh();
    await expect(outbox.settle(first, entry!, { action: 'ack' })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await outbox.pendingCount()).toBe(1);
  });
});
