export { loadConfig, shardEnv, type ShardConfig } from './config.ts';
export { startShard, type RunningShard } from './shard.ts';
export { WindowAggregator, type FlushBatch, type PartitionBatch } from './window-aggregator.ts';
export * from './errors.ts';
