import type { Consumer } from 'kafkajs';
import { topicNames } from '@ringtail/model';
import { createSeriesHasher } from '@ringtail/hashring';
import { CrashSupervisor, checkKafkaAccess, createMetricsRegistry, createKafka, ensureTopicsWith, startOpsServer, type Logger, type MetricsRegistry, type OpsServer } from '@ringtail/runtime';
import type { IngestConfig } from './config.ts';
import { registerIngestMetrics } from './ingest-metrics.ts';
import { createIngestPipeline } from './ingest-pipeline.ts';
import { RoutedBatchWriter } from './routed-batch-writer.ts';
import { createSlotRouter } from './series-router.ts';
import { ingestTopicSpecs } from './topic-setup.ts';
import type { WritePipeline } from './write-pipeline.ts';

export interface IngestService {
  /** Port of the ops HTTP server (/metrics, /healthz, /readyz). */
  readonly port: number;
  readonly metrics: MetricsRegistry;
  isReady(): boolean;
  /** Stops consuming, writes and commits the batches already routed, disconnects. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts ingest in this process: ensures topics, connects the producer, joins
 * the raw consumer group and serves the ops endpoints. Resolves once consuming
 * has started (not necessarily once partitions are assigned: see `isReady`).
 */
export async function startIngest(config: IngestConfig, log: Logger): Promise<IngestService> {
  const topics = topicNames(config.namespace);
  const xxhash = await (await import('xxhash-wasm')).default();
  const router = createSlotRouter(createSeriesHasher(xxhash), config.shardSlots);

  const registry = createMetricsRegistry();
  const metrics = registerIngestMetrics(registry);

  await checkKafkaAccess(config.kafkaBrokers, config.kafkaSecurity);
  const kafka = createKafka(config.kafkaBrokers, config.kafkaClientId, log, { security: config.kafkaSecurity });
  await ensureTopicsWith(kafka, ingestTopicSpecs(topics, config), { log });

  const writer = new RoutedBatchWriter(kafka, topics, { dlqPartitions: config.dlqPartitions, maxBatchBytes: config.produceMaxBatchBytes }, log.child({ component: 'writer' }));
  await writer.connect();

  const consumer = kafka.consumer({
    groupId: topics.ingestGroup,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: config.heartbeatIntervalMs,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined ingest group'));
  await consumer.connect();
  // A new group starts at the earliest offset: samples produced before the first ingest ran still count.
  await consumer.subscribe({ topic: topics.raw, fromBeginning: true });

  const { pipeline, handler } = createIngestPipeline({ config, router, writer, consumer, metrics, log });
  const runConsumer = () =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // One raw partition at a time: the write pipeline already overlaps routing with
      // writing, and one producer must see each raw partition's batches in order.
      partitionsConsumedConcurrently: 1,
      eachBatch: handler,
    });
  // Restarted in-process: the producer and write pipeline are unharmed and keep writing what
  // was routed, and the consumer reads again from the committed offset (duplicates only).
  const supervisor = CrashSupervisor.restartingConsumer(consumer, runConsumer, { name: 'raw consumer', metrics: registry, metricPrefix: 'ringtail_ingest_consumer', log });
  await runConsumer();

  const ops = await startOpsServer({ port: config.httpPort, metrics: registry, isReady: () => supervisor.isRunning(), notReadyReason: () => supervisor.describe() });
  log.info({ port: ops.port, raw: topics.raw, shard: topics.shard, slots: config.shardSlots }, 'ingest started');

  let stopping: Promise<void> | undefined;
  return {
    port: ops.port,
    metrics: registry,
    isReady: () => supervisor.isRunning(),
    stop: () => {
      supervisor.stop();
      stopping ??= stopIngest({ pipeline, consumer, writer, ops, rawTopic: topics.raw, log });
      return stopping;
    },
  };
}

/**
 * Routed batches are written and committed before the group is left; fetched
 * batches not yet routed stay unresolved and are read again by the next owner.
 */
async function stopIngest(p: { pipeline: WritePipeline; consumer: Consumer; writer: RoutedBatchWriter; ops: OpsServer; rawTopic: string; log: Logger }): Promise<void> {
  p.pipeline.close();
  try {
    p.consumer.pause([{ topic: p.rawTopic }]);
  } catch (err) {
    // Only when the consumer already stopped (it crashed): there is nothing left to pause.
    p.log.debug({ err }, 'raw consumer not running, not paused');
  }
  await p.pipeline.drain();
  await p.consumer.disconnect();
  await p.writer.disconnect();
  await p.ops.close();
  p.log.info('ingest stopped');
}
