import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { blockStartMs, encodeShardRecord, redisKeys, topicNames, windowStartMs, type Resolution, type ShardSeries } from '@ringtail/model';
import { findSeries } from '@ringtail/query';
import { createLogger, createSentinelClient, ensureTopics } from '@ringtail/runtime';
import { loadConfig, startShard, type RunningShard } from '@ringtail/shard';
import { eventually, randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

// One resolution, 1 s windows kept 60 s: blocks of 5 windows (a twelfth of the retention), lateness 60 s (capped by retention).
const RESOLUTION: Resolution = { name: '1s', stepMs: 1000, retentionMs: 60_000 };
const GONE: ShardSeries = { id: '0000000000e0a001', name: 'expiry_gone', labels: { job: 'gone', shared: 'x' } };
const KEPT: ShardSeries = { id: '0000000000e0a002', name: 'expiry_kept', labels: { job: 'kept', shared: 'x' } };

describe('series index expiry', () => {
  const namespace = randomNamespace('expiry');
  const names = topicNames(namespace);
  const keys = redisKeys(namespace, 1);
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  let shard: RunningShard | undefined;

  beforeAll(async () => {
    const stack = stackEndpoints();
    const kafka = new Kafka({ clientId: 'series-expiry-test', brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: names.shard, numPartitions: 1 },
      { topic: names.dlq, numPartitions: 1 },
    ]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'series-expiry-test');
    const env = {
      ...stackEnv(stack, namespace),
      SHARD_WORKER_ID: 'x0',
      SHARD_SLOTS: '1',
      RESOLUTIONS: `${RESOLUTION.name}:60s`,
      FLUSH_INTERVAL_MS: '100',
      COMPACT_INTERVAL_MS: '100',
      INDEX_EXPIRY_INTERVAL_MS: '200',
      HTTP_PORT: '0',
    };
    shard = await startShard(loadConfig(env), createLogger('series-expiry-test', 'silent'));
  });

  afterAll(async () => {
    await shard?.stop();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [names.shard, names.dlq] }).catch(() => undefined);
    await admin?.disconnect();
    const stale = await redis.keys(keys.scanPattern);
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
  });

  const found = async (metric: string) => (await findSeries(redis, keys, { metric, matchers: [] })).map((s) => s.id);
  const blockKey = (s: ShardSeries, timestampMs: number) => keys.block(s.id, RESOLUTION.name, blockStartMs(windowStartMs(timestampMs, RESOLUTION.stepMs), RESOLUTION));
  const expiryOf = async (s: ShardSeries) => Number(await redis.zscore(keys.seriesExpiry, s.id));

  it('drops a series whose last block expired from the index and keeps one whose block is live', async () => {
    const now = Date.now();
    // GONE's block expires 15-20 s from now, KEPT's about a minute from now.
    const goneAt = now - 45_000;
    const keptAt = now - 2_000;
    // The slot clock 65 s ahead closes both windows (lateness 60 s), so both move into their blocks.
    const record = { v: 2 as const, rp: 0, rt: now + 65_000, series: [GONE, KEPT], samples: [[0, 1.5, goneAt, 0] as const, [1, 2.5, keptAt, 1] as const] };
    await producer.send({ topic: names.shard, acks: -1, messages: [{ partition: 0, value: encodeShardRecord(record) }] });

    await eventually('both series indexed', 30_000, async () => ((await found(GONE.name)).length + (await found(KEPT.name)).length === 2 ? true : undefined), 100);
    await eventually('both windows compacted into blocks', 30_000, async () => ((await redis.zcard(keys.hotWindows(0, RESOLUTION.name))) === 0 ? true : undefined), 100);
    // Only the block holds KEPT's window now; the index must last as long as it.
    const keptBlockExpiry = await redis.pexpiretime(blockKey(KEPT, keptAt));
    expect(keptBlockExpiry).toBeGreaterThan(now);
    expect(await expiryOf(KEPT)).toBeGreaterThanOrEqual(keptBlockExpiry);
    expect(await expiryOf(GONE)).toBeLessThan(keptBlockExpiry);

    await eventually('GONE removed from every index entry', 45_000, async () => {
      const left = await Promise.all([
        redis.sismember(keys.seriesOfMetric(GONE.name), GONE.id),
        redis.sismember(keys.seriesOfLabel('job', 'gone'), GONE.id),
        redis.sismember(keys.seriesOfLabel('shared', 'x'), GONE.id),
        redis.exists(keys.series(GONE.id)),
        redis.zscore(keys.seriesExpiry, GONE.id),
        redis.sismember(keys.metricNames, GONE.name),
      ]);
      return left.every((x) => x === 0 || x === null) ? true : undefined;
    }, 200);
    expect(await redis.exists(blockKey(GONE, goneAt))).toBe(0);
    expect(await found(GONE.name)).toEqual([]);

    // KEPT's block is still there, so is every index entry of it.
    expect(await redis.pttl(blockKey(KEPT, keptAt))).toBeGreaterThan(0);
    expect(await found(KEPT.name)).toEqual([KEPT.id]);
    expect(await findSeries(redis, keys, { metric: KEPT.name, matchers: [{ name: 'shared', op: '=', value: 'x' }] })).toEqual([KEPT]);
    expect(await redis.sismember(keys.metricNames, KEPT.name)).toBe(1);
    expect(await redis.sismember(keys.seriesOfLabel('job', 'kept'), KEPT.id)).toBe(1);
  });
});
