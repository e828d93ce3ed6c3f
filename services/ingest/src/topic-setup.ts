import { SHARD_TOPIC_MAX_MESSAGE_BYTES, type TopicNames } from '@ringtail/model';
import type { TopicSpec } from '@ringtail/runtime';
import type { IngestConfig } from './config.ts';

// Reason, code and coordinate headers plus record framing.
const DLQ_HEADROOM_BYTES = 64 * 1024;

/**
 * The raw, DLQ and shard topics ingest needs, for the one topic set-up
 * (`ensureTopics` of @ringtail/runtime). The shard topic must have exactly
 * `shardSlots` partitions, which routing depends on.
 */
export function ingestTopicSpecs(topics: TopicNames, config: IngestConfig): TopicSpec[] {
  const replicationFactor = config.replicationFactor;
  return [
    { topic: topics.raw, numPartitions: config.rawPartitions, replicationFactor },
    // The DLQ takes whole rejected messages, so it must accept the largest raw message plus headers.
    {
      topic: topics.dlq,
      numPartitions: config.dlqPartitions,
      replicationFactor,
      configEntries: [{ name: 'max.message.bytes', value: String(config.limits.maxMessageBytes + DLQ_HEADROOM_BYTES) }],
    },
    {
      topic: topics.shard,
      numPartitions: config.shardSlots,
      partitionsSetting: 'SHARD_SLOTS',
      replicationFactor,
      configEntries: [{ name: 'max.message.bytes', value: String(SHARD_TOPIC_MAX_MESSAGE_BYTES) }],
    },
  ];
}
