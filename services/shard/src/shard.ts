import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { SHARD_TOPIC_MAX_MESSAGE_BYTES, redisKeys, topicNames } from '@ringtail/model';
import { redisRingStatusStore } from '@ringtail/ring-status';
import { checkKafkaAccess, checkRedisAccess, createKafka, createMetricsRegistry, createSentinelClient, ensureTopics, startOpsServer, type Logger } from '@ringtail/runtime';
import type { ShardConfig } from './config.ts';
import { kafkaDlqSinks } from './late-sample-sink.ts';
import { RedisWindowSink } from './redis-window-sink.ts';
import { RedisWindowCompactor } from './window-compactor.ts';
import { ringRoutes } from './ring-routes.ts';
import { SeriesIndexJanitor } from './series-index-janitor.ts';
import { shardGroup } from './shard-group.ts';
import { createShardMetrics } from './shard-metrics.ts';
import { ShardWorker } from './shard-worker.ts';
import { WindowAggregator } from './window-aggregator.ts';

// Long enough for a Sentinel lookup and a login on a loaded machine; a Redis still down after it is retried as before.
const REDIS_ACCESS_CHECK_MS = 10_000;

export interface RunningShard {
  /** Port of the ops server (/metrics, /healthz, /readyz, /ring). */
  readonly httpPort: number;
  readonly shardTopic: string;
  /** Stops consuming, flushes, WAITs and commits what is pending, then leaves the group and disconnects. */
  stop(): Promise<void>;
}

/** Starts a shard worker: a member of the shard group, with its aggregator, Redis sink and ops server. */
export async function startShard(config: ShardConfig, log: Logger): Promise<RunningShard> {
  const names = topicNames(config.namespace);
  const keys = redisKeys(config.namespace, config.shardSlots);
  const clientId = `ringtail-shard-${config.workerId}`;
  await checkKafkaAccess(config.kafkaBrokers, config.kafkaSecurity);
  const kafka = createKafka(config.kafkaBrokers, clientId, log, { security: config.kafkaSecurity });
  const admin = kafka.admin();
  await admin.connect();
  await ensureShardTopic(admin, names.shard, config.shardSlots, log);

  const redis = createSentinelClient(config.redis, clientId, config.redis.commandTimeoutMs);
  await checkRedisAccess(redis, REDIS_ACCESS_CHECK_MS);
  const registry = createMetricsRegistry();
  const metrics = createShardMetrics(registry);
  let lastFlushAtMs: number | null = null;
  const status = redisRingStatusStore(redis, keys);
  const group = shardGroup({
    kafka,
    topic: names.shard,
    groupId: names.shardGroup,
    workerId: config.workerId,
    host: hostname(),
    pid: process.pid,
    sessionTimeoutMs: config.sessionTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    statusIntervalMs: config.ringStatusIntervalMs,
    metrics,
    registry,
    status,
    log: log.child({ component: 'shard-group' }),
    lastFlushAtMs: () => lastFlushAtMs,
    clockMs: () => Date.now(),
  });
  const dlq = kafkaDlqSinks(kafka, names);
  const worker = new ShardWorker({
    shardTopic: names.shard,
    aggregator: new WindowAggregator({ resolutions: config.resolutions, coarseFlushIntervalMs: config.coarseFlushIntervalMs }),
    sink: new RedisWindowSink(redis, { keys, minReplicas: config.waitReplicas, waitTimeoutMs: config.waitTimeoutMs, counters: metrics }),
    lateSamples: dlq.lateSamples,
    corruptRecords: dlq.corruptRecords,
    ...(config.compactIntervalMs > 0 ? { compactor: new RedisWindowCompactor(redis, { keys, resolutions: config.resolutions, maxWindowsPerPass: config.compactMaxWindowsPerPass }) } : {}),
    consumer: group.consumer,
    metrics,
    log: log.child({ component: 'shard-worker' }),
    flushMaxSamples: config.flushMaxSamples,
    flushLingerMs: config.flushLingerMs,
    retry: config.flushRetry,
    nowMs: () => performance.now(),
    sleep: (ms) => sleep(ms),
    random: Math.random,
    onFlushed: () => (lastFlushAtMs = Date.now()),
  });
  await group.start(worker);

  // Under load a flush outlasts the interval; the next one then starts as soon as it finished.
  const timer = setInterval(() => worker.requestFlush(), config.flushIntervalMs);
  // One pass at a time: a pass slower than the interval is followed by the next one's tick.
  let compaction: Promise<unknown> | null = null;
  const compactTimer =
    config.compactIntervalMs > 0
      ? setInterval(() => {
          compaction ??= worker.compact().finally(() => (compaction = null));
        }, config.compactIntervalMs)
      : null;
  // Like compaction: one pass at a time; a failed pass is logged and the next tick tries again.
  const janitor = new SeriesIndexJanitor(redis, { keys, nowMs: () => Date.now() });
  let sweep: Promise<unknown> | null = null;
  const sweepTimer =
    config.indexExpiryIntervalMs > 0
      ? setInterval(() => {
          sweep ??= janitor
            .sweep()
            .then((forgotten) => forgotten > 0 && log.debug({ forgotten }, 'expired series removed from the index'))
            .catch((err: unknown) => log.warn({ err }, 'series index expiry pass failed'))
            .finally(() => (sweep = null));
        }, config.indexExpiryIntervalMs)
      : null;
  const ops = await startOpsServer({
    port: config.httpPort,
    metrics: registry,
    isReady: () => group.isJoined() && redis.status === 'ready',
    notReadyReason: () => (group.isJoined() ? `redis ${redis.status}` : group.describe()),
    auth: config.httpAuth,
    routes: ringRoutes({ admin, status, topic: names.shard, groupId: names.shardGroup }),
  });
  log.info({ shardTopic: names.shard, slots: config.shardSlots, httpPort: ops.port }, 'shard worker started');

  return {
    httpPort: ops.port,
    shardTopic: names.shard,
    async stop() {
      clearInterval(timer);
      if (compactTimer) clearInterval(compactTimer);
      if (sweepTimer) clearInterval(sweepTimer);
      await group.stop();
      await compaction;
      await sweep;
      await dlq.close();
      await ops.close();
      await admin.disconnect();
      redis.disconnect();
    },
  };
}

/**
 * Creates the shard topic with `slots` partitions if it is missing (ingest
 * usually has), through the one topic set-up, and refuses to run on one with
 * another partition count: the slot of every series depends on it.
 * @throws TopicLayoutError naming SHARD_SLOTS
 */
async function ensureShardTopic(admin: Admin, topic: string, slots: number, log: Logger): Promise<void> {
  const maxBytes = { name: 'max.message.bytes', value: String(SHARD_TOPIC_MAX_MESSAGE_BYTES) };
  await ensureTopics(admin, [{ topic, numPartitions: slots, partitionsSetting: 'SHARD_SLOTS', configEntries: [maxBytes] }], { log });
}
