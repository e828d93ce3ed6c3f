export * from './topics.ts';
export * from './shard-record.ts';
