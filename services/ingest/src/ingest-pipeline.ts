import type { Consumer, EachBatchPayload } from 'kafkajs';
import { SampleValidator, SeriesCardinalityLimiter } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { createBatchHandler } from './batch-handler.ts';
import type { IngestConfig } from './config.ts';
import { recordCommittedBatch, type IngestMetrics } from './ingest-metrics.ts';
import type { RoutedBatchWriter } from './routed-batch-writer.ts';
import type { SeriesRouter } from './series-router.ts';
import { WritePipeline } from './write-pipeline.ts';

export interface IngestPipelineDeps {
  readonly config: IngestConfig;
  readonly router: SeriesRouter;
  readonly writer: RoutedBatchWriter;
  readonly consumer: Consumer;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
}

/**
 * Ingest's path from a raw batch to committed offsets: the batch handler
 * (validate, route, build shard records) feeding the write pipeline (write,
 * then commit raw offsets). The consumer runs `handler`; stop drains `pipeline`.
 */
export function createIngestPipeline(d: IngestPipelineDeps): { pipeline: WritePipeline; handler: (payload: EachBatchPayload) => Promise<void> } {
  const { config, metrics } = d;
  const now = () => performance.now();
  const pipeline = new WritePipeline({
    sink: d.writer,
    // consumer.commitOffsets works after the handler returned (the pipeline commits later);
    // once the consumer has stopped it is a no-op, so stop() drains the pipeline first.
    committer: { commit: (offsets) => d.consumer.commitOffsets([...offsets]) },
    maxPendingSamples: config.writePipelineMaxSamples,
    onCommitted: (batch, durationMs) => recordCommittedBatch(metrics, batch.routed, durationMs),
    onWriteFailed: () => metrics.writeFailures.inc(),
    onWritten: (_batch, durationMs) => metrics.writeDuration.observe(durationMs),
    now,
    delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
    random: Math.random,
    log: d.log.child({ component: 'write-pipeline' }),
  });
  const handler = createBatchHandler({
    routing: {
      validator: new SampleValidator(config.limits),
      cardinality: new SeriesCardinalityLimiter(config.limits, config.cardinalityTrackedMetrics),
      router: d.router,
      agePolicy: config.agePolicy,
      recordLimits: { maxBytes: config.shardRecordMaxBytes, maxSamples: config.shardRecordMaxSamples },
    },
    pipeline,
    metrics,
    now,
    wallClockMs: () => Date.now(),
  });
  return { pipeline, handler };
}
