export { startIngest, type IngestService } from './ingest-service.ts';
export { loadConfig, ingestEnv, type IngestConfig } from './config.ts';
export { RawBatchRouter, type DlqEntry, type RoutedBatch, type RawBatchRouterDeps } from './raw-batch-router.ts';
export { ShardRecordBuilder, type ShardRecordLimits } from './shard-record-builder.ts';
export { createSlotRouter, type SeriesRouter, type SeriesRoute } from './series-router.ts';
export { OffsetCommitError, ShardWriteError, TopicLayoutError } from './errors.ts';
export { planProduceRequests, messageBytes, type PartitionMessages } from './produce-plan.ts';
