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

describe('the outbox WAIT before a delivery', () => {
  let writer: Redis;
  let delivery: ScriptClient;
  let keys: AlerterKeys;

  beforeEach(() => {
    writer = testRedis(stackEndpoints());
    delivery = withScripts(testRedis(stackEndpoints()));
    keys = alerterKeys(randomNamespace('alerter-outbox-wait'));
  });
  afterEach(async () => {
    await writer.del(keys.outbox, keys.deliveryMark);
    writer.disconnect();
    (delivery as Redis).disconnect();
  });

  it('does not report a write of another connection replicated while the replica has not taken it', async () => {
    const outbox = new Outbox(delivery, keys, 1000);
    // A WAIT on a connection that never wrote would answer at once, whatever the replica holds.
    expect(await outbox.replicated(1, WAIT_MS)).toBe(true);
    const replica = await replicaConnection();
    try {
      await replica.call('CLIENT', 'PAUSE', String(REPLICA_PAUSE_MS), 'ALL');
      // Stands for the evaluator's commit that enqueued a notification, on its own connection.
      await writer.xadd(keys.outbox, '*', 'id', 'msg_1');
      expect(await outbox.replicated(1, WAIT_MS)).toBe(false);
      await eventually('the replica to take the write once it resumes', 10_000, () => outbox.replicated(1, WAIT_MS), 50);
    } finally {
      await replica.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      replica.disconnect();
    }
  });
});
