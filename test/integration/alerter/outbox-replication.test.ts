import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { alerterKeys, type AlerterKeys } from '@ringtail/model';
import { eventually } from '@ringtail/runtime';
import { Outbox } from '../../../services/alerter/src/index.ts';
import { withScripts, type ScriptClient } from '../../../services/alerter/src/scripts.ts';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { testRedis } from './support.ts';

// Long enough for a WAIT of REPLICA_WAIT_MS to time out inside it, short enough not to
// hold up the other tests' flushes for long (their WAITs fail and are retried meanwhile).
const REPLICA_PAUSE_MS = 1200;
const WAIT_MS = 200;

/** A connection to one online replica of the stack's primary, found through the first Sentinel. */
async function replicaConnection(): Promise<Redis> {
  const stack = stackEndpoints();
  const sentinel = new Redis({ host: stack.sentinels[0]!.host, port: stack.sentinels[0]!.port, lazyConnect: true });
  try {
    await sentinel.connect();
    const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', stack.sentinelMasterName)) as string[][];
    for (const flat of replicas) {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
      if (!(f.get('flags') ?? '').includes('down')) return new Redis({ host: f.get('ip')!, port: Number(f.get('port')) });
    }
    throw new Error('the stack has no online replica');
  } finally {
    sentinel.disconnect();
  }
}

describe('the outbox poll before a delivery', () => {
  let writer: Redis;
  let delivery: ScriptClient;
  let keys: AlerterKeys;

  beforeEach(() => {
    writer = testRedis(stackEndpoints());
    delivery = withScripts(testRedis(stackEndpoints()));
    keys = alerterKeys(randomNamespace('alerter-outbox-wait'));
  });
  afterEach(async () => {
    await writer.del(keys.outbox, keys.due, keys.attempts, keys.disabled, keys.deliveryMark);
    writer.disconnect();
    (delivery as Redis).disconnect();
  });

  /** Stands for the evaluator's commit that enqueued a notification, on its own connection. */
  const enqueue = async (webhookId: string, dueMs: number) => {
    const entryId = (await writer.xadd(keys.outbox, '*', 'id', webhookId, 'receiver', 'ops', 'group', 'g', 'body', '{}', 'created', '5'))!;
    await writer.zadd(keys.due, dueMs, entryId);
    return entryId;
  };

  it('does not report a write of another connection replicated while the replica has not taken it', async () => {
    const outbox = new Outbox(delivery, keys, 1000);
    expect((await outbox.poll(Date.now(), 10, 1, WAIT_MS)).replicated).toBe(true);
    const replica = await replicaConnection();
    try {
      await replica.call('CLIENT', 'PAUSE', String(REPLICA_PAUSE_MS), 'ALL');
      const entryId = await enqueue('msg_1', 0);
      const held = await outbox.poll(Date.now(), 10, 1, WAIT_MS);
      expect(held.entries.map((e) => e.entryId)).toEqual([entryId]);
      expect(held.replicated).toBe(false);
      await eventually('the replica to take the write once it resumes', 10_000, async () => (await outbox.poll(Date.now(), 10, 1, WAIT_MS)).replicated, 50);
    } finally {
      await replica.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      replica.disconnect();
    }
  });

  it('lists the due entries earliest first with their attempts, a trimmed one with an empty body, and the disabled receivers', async () => {
    const outbox = new Outbox(delivery, keys, 1000);
    const later = await enqueue('msg_later', 200);
    const first = await enqueue('msg_first', 100);
    await enqueue('msg_future', 10_000);
    await writer.hset(keys.attempts, later, '2');
    await writer.zadd(keys.due, 150, '1-1');
    await writer.hset(keys.disabled, 'gone', JSON.stringify({ atMs: 7, reason: 'HTTP 410' }));
    const polled = await outbox.poll(1000, 10, 0, WAIT_MS);
    expect(polled.entries).toEqual([
      { entryId: first, webhookId: 'msg_first', receiver: 'ops', groupKey: 'g', body: '{}', createdAtMs: 5, attempts: 0 },
      { entryId: '1-1', webhookId: '', receiver: '', groupKey: '', body: '', createdAtMs: 0, attempts: 0 },
      { entryId: later, webhookId: 'msg_later', receiver: 'ops', groupKey: 'g', body: '{}', createdAtMs: 5, attempts: 2 },
    ]);
    expect([...polled.disabled]).toEqual([['gone', { atMs: 7, reason: 'HTTP 410' }]]);
    expect(polled.replicated).toBe(true);
    expect((await outbox.poll(1000, 1, 0, WAIT_MS)).entries.map((e) => e.webhookId)).toEqual(['msg_first']);
  });
});
