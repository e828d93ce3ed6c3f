import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { SHARD_TOPIC_MAX_MESSAGE_BYTES, redisKeys, topicNames } from '@ringtail/model';
import { createKafka, createSentinelClient, MetricsRegistry, startOpsServer, type Logger } from '@ringtail/runtime';
import type { ShardConfig } from './config.ts';
import { kafkaShardConsumer } from './kafka-shard-consumer.ts';
import { RedisWindowSink } from './redis-window-sink.ts';
import { createShardMetrics } from './shard-metrics.ts';
import { ShardWorker } from './shard-worker.ts';
import { WindowAggregator } from './window-aggregator.ts';

export interface RunningShard {
  /** Port of the ops server (/metrics, /healthz, /readyz). */
  readonly httpPort: number;
  readonly shardTopic: string;
  /** Stops consuming, flushes, WAITs and commits what is pending, then disconnects. */
  stop(): Promise<void>;
}

/** Starts a shard worker: consumer, aggregator, Redis sink and ops server. */
export async function startShard(config: ShardConfig, log: Logger): Promise<RunningShard> {
  const names = topicNames(config.RINGTAIL_NAMESPACE);
  const shardTopic = names.shard(config.SHARD_WORKER_ID);
  const kafka = createKafka(config.KAFKA_BROKERS, `ringtail-shard-${config.SHARD_WORKER_ID}`, log);
  await ensureTopic(kafka, shardTopic, config.SHARD_TOPIC_PARTITIONS, log);

  const redis = createSentinelClient(
    { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_SENTINEL_MASTER },
    `ringtail-shard-${config.SHARD_WORKER_ID}`,
    config.REDIS_COMMAND_TIMEOUT_MS,
  );
  const registry = new MetricsRegistry();
  const metrics = createShardMetrics(registry);
  const consumer = kafka.consumer({ groupId: names.shardGroup(config.SHARD_WORKER_ID), sessionTimeout: 30_000, heartbeatInterval: 3000 });
  const worker = new ShardWorker({
    shardTopic,
    aggregator: new WindowAggregator({ resolutions: config.RESOLUTIONS }),
    sink: new RedisWindowSink(redis, {
      keys: redisKeys(config.RINGTAIL_NAMESPACE),
      minReplicas: config.WAIT_REPLICAS,
      waitTimeoutMs: config.WAIT_TIMEOUT_MS,
    }),
    consumer: kafkaShardConsumer(consumer),
    metrics,
    log: log.child({ component: 'shard-worker' }),
    flushMaxSamples: config.FLUSH_MAX_SAMPLES,
    retry: { initialMs: config.FLUSH_RETRY_INITIAL_MS, maxMs: config.FLUSH_RETRY_MAX_MS },
    nowMs: () => performance.now(),
    sleep: (ms) => sleep(ms),
    random: Math.random,
  });

  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    void worker.assign(e.payload.memberAssignment[shardTopic] ?? []);
  });
  consumer.on(consumer.events.REBALANCING, () => {
    joined = false;
  });
  consumer.on(consumer.events.CRASH, (e) => {
    joined = false;
    log.error({ err: e.payload.error, restart: e.payload.restart }, 'shard consumer crashed');
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [shardTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      await worker.handleBatch(batch.partition, batch.messages, { heartbeat, isActive: () => isRunning() && !isStale() });
      metrics.consumerLag.set(Number(batch.offsetLag()), { partition: String(batch.partition) });
    },
  });

  // Under load a flush outlasts the interval; the next one then starts as soon as it finished.
  const timer = setInterval(() => worker.requestFlush(), config.FLUSH_INTERVAL_MS);
  const ops = await startOpsServer({ port: config.HTTP_PORT, metrics: registry, isReady: () => joined && redis.status === 'ready' });
  log.info({ shardTopic, httpPort: ops.port }, 'shard worker started');

  return {
    httpPort: ops.port,
    shardTopic,
    async stop() {
      clearInterval(timer);
      worker.beginStop();
      // Flush and commit while still a group member: commits after leaving the group are rejected.
      await worker.flush();
      await consumer.disconnect();
      await ops.close();
      redis.disconnect();
    },
  };
}

async function ensureTopic(kafka: Kafka, topic: string, partitions: number, log: Logger): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, configEntries: [{ name: 'max.message.bytes', value: String(SHARD_TOPIC_MAX_MESSAGE_BYTES) }] }],
      waitForLeaders: true,
    });
    if (created) log.info({ topic, partitions }, 'created shard topic');
  } finally {
    await admin.disconnect();
  }
}
