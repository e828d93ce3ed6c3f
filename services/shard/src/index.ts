export { loadConfig, shardEnv, type ShardConfig } from './config.ts';
export { startShard, type RunningShard } from './shard.ts';
export type { FlushBatch, PartitionBatch } from './flush-batch.ts';
export { WindowAggregator } from './window-aggregator.ts';
export * from './errors.ts';
