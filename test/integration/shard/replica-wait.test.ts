import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisKeys } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { RedisUnavailableError, ReplicationTimeoutError } from '../../../services/shard/src/errors.ts';
import { RedisWindowSink, onlineReplicas } from '../../../services/shard/src/redis-window-sink.ts';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

const WAIT_TIMEOUT_MS = 300;

async function replicationError(run: Promise<void>): Promise<ReplicationTimeoutError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReplicationTimeoutError);
  return err as ReplicationTimeoutError;
}

describe('the shard sink waiting for replicas on the stack primary (one online replica)', () => {
  const keys = redisKeys(randomNamespace('wait'));
  let redis: Redis;
  let online: number;

  beforeAll(async () => {
    const stack = stackEndpoints();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'replica-wait-test');
    // A test before this one may have killed a Redis node: its replica resynchronises first.
    online = await eventually('an online replica', 60_000, async () => {
      const n = onlineReplicas(await redis.info('replication'));
      return n >= 1 ? n : undefined;
    }, 250);
  });
  afterAll(() => redis.disconnect());

  it('waits the whole timeout the first time too few replicas answer, and skips WAIT while too few are online', async () => {
    const sink = new RedisWindowSink(redis, { keys, minReplicas: online + 1, waitTimeoutMs: WAIT_TIMEOUT_MS });
    const first = await replicationError(sink.awaitReplicas());
    expect(first).toMatchObject({ acknowledged: online, required: online + 1, timeoutMs: WAIT_TIMEOUT_MS });
    const second = await replicationError(sink.awaitReplicas());
    expect(second).toMatchObject({ acknowledged: online, required: online + 1, timeoutMs: null });
    expect(second.message).toBe(`WAIT skipped: ${online} of ${online + 1} replicas online`);
  });

  it('asks for online replicas before the first WAIT after a failed call, as after a failover', async () => {
    // Its own client: this one loses its connection on purpose.
    const stack = stackEndpoints();
    const own = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'replica-wait-test-lost');
    try {
      await own.ping();
      const sink = new RedisWindowSink(own, { keys, minReplicas: online + 1, waitTimeoutMs: WAIT_TIMEOUT_MS });
      own.disconnect();
      await expect(sink.readSlot(0)).rejects.toBeInstanceOf(RedisUnavailableError);
      await own.connect();
      const err = await replicationError(sink.awaitReplicas());
      expect(err).toMatchObject({ acknowledged: online, required: online + 1, timeoutMs: null });
    } finally {
      own.disconnect();
    }
  });
});

describe('onlineReplicas', () => {
  it('counts only replicas in state online from INFO replication', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:3',
      'slave0:ip=127.0.0.1,port=16391,state=online,offset=450093828,lag=1',
      'slave1:ip=127.0.0.1,port=16392,state=wait_bgsave,offset=0,lag=0',
      'slave2:ip=127.0.0.1,port=16393,state=online,offset=450093828,lag=0',
      'master_failover_state:no-failover',
    ].join('\r\n');
    expect(onlineReplicas(info)).toBe(2);
    expect(onlineReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
  });
});
