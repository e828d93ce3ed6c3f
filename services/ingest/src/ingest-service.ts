import { SeriesCardinalityLimiter, SampleValidator, topicNames } from '@ringtail/model';
import { createSeriesHasher } from '@ringtail/hashring';
import { createMetricsRegistry, createKafka, ensureTopics, startOpsServer, type Logger, type MetricsRegistry } from '@ringtail/runtime';
import type { IngestConfig } from './config.ts';
import { createBatchHandler } from './batch-handler.ts';
import { recordCommittedBatch, registerIngestMetrics } from './ingest-metrics.ts';
import { RoutedBatchWriter } from './routed-batch-writer.ts';
import { createSlotRouter } from './series-router.ts';
import { ingestTopicSpecs } from './topic-setup.ts';
import { WritePipeline } from './write-pipeline.ts';

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

  const kafka = createKafka(config.kafkaBrokers, config.kafkaClientId, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, ingestTopicSpecs(topics, config), { log });
  } finally {
    await admin.disconnect();
  }

  const writer = new RoutedBatchWriter(kafka, topics, { dlqPartitions: config.dlqPartitions, maxBatchBytes: config.produceMaxBatchBytes }, log.child({ component: 'writer' }));
  await writer.connect();

  const consumer = kafka.consumer({ groupId: topics.ingestGroup, sessionTimeout: config.sessionTimeoutMs, allowAutoTopicCreation: false });
  let ready = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    ready = true;
    log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined ingest group');
  });
  consumer.on(consumer.events.CRASH, () => {
    ready = false;
  });
  await consumer.connect();
  // A new group starts at the earliest offset: samples produced before the first ingest ran still count.
  await consumer.subscribe({ topic: topics.raw, fromBeginning: true });

  const now = () => performance.now();
  const pipeline = new WritePipeline({
    sink: writer,
    // consumer.commitOffsets works after the handler returned (the pipeline commits later);
    // once the consumer has stopped it is a no-op, so stop() drains the pipeline first.
    committer: { commit: (offsets) => consumer.commitOffsets([...offsets]) },
    maxPendingSamples: config.writePipelineMaxSamples,
    onCommitted: (batch, durationMs) => recordCommittedBatch(metrics, batch.routed, durationMs),
    onWriteFailed: () => metrics.writeFailures.inc(),
    now,
    delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
    random: Math.random,
    log: log.child({ component: 'write-pipeline' }),
  });
  const handler = createBatchHandler({
    routing: {
      validator: new SampleValidator(config.limits),
      cardinality: new SeriesCardinalityLimiter(config.limits, config.cardinalityTrackedMetrics),
      router,
      recordLimits: { maxBytes: config.shardRecordMaxBytes, maxSamples: config.shardRecordMaxSamples },
    },
    pipeline,
    metrics,
    now,
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // One raw partition at a time: the write pipeline already overlaps routing with
    // writing, and one producer must see each raw partition's batches in order.
    partitionsConsumedConcurrently: 1,
    eachBatch: handler,
  });

  const ops = await startOpsServer({ port: config.httpPort, metrics: registry, isReady: () => ready });
  log.info({ port: ops.port, raw: topics.raw, shard: topics.shard, slots: config.shardSlots }, 'ingest started');

  let stopping: Promise<void> | undefined;
  return {
    port: ops.port,
    metrics: registry,
    isReady: () => ready,
    stop: () => {
      stopping ??= (async () => {
        ready = false;
        // Routed batches are written and committed before the group is left; fetched
        // batches not yet routed stay unresolved and are read again by the next owner.
        pipeline.close();
        try {
          consumer.pause([{ topic: topics.raw }]);
        } catch (err) {
          // Only when the consumer already stopped (it crashed): there is nothing left to pause.
          log.debug({ err }, 'raw consumer not running, not paused');
        }
        await pipeline.drain();
        await consumer.disconnect();
        await writer.disconnect();
        await ops.close();
        log.info('ingest stopped');
      })();
      return stopping;
    },
  };
}
