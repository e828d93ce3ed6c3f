import type { Admin } from 'kafkajs';
import { SHARD_TOPIC_MAX_MESSAGE_BYTES, type TopicNames } from '@ringtail/model';
import type { IngestConfig } from './config.ts';
import { TopicLayoutError } from './errors.ts';

/**
 * Creates the raw, DLQ and shard topics that are missing (idempotent: existing
 * topics are left alone), then checks the shard topic has exactly
 * `shardSlots` partitions, which routing depends on.
 * @throws TopicLayoutError
 */
export async function ensureTopics(admin: Admin, topics: TopicNames, config: IngestConfig): Promise<void> {
  const replicationFactor = config.replicationFactor;
  const shardTopics = [topics.shard];
  const wanted = [
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
      replicationFactor,
      configEntries: [{ name: 'max.message.bytes', value: String(SHARD_TOPIC_MAX_MESSAGE_BYTES) }],
    },
  ];
  // Creating only what is missing keeps kafkajs from logging TOPIC_ALREADY_EXISTS as an error on
  // every start; createTopics stays idempotent for the race between two starting instances.
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing });
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: shardTopics });
  for (const t of metadata) {
    if (t.partitions.length !== config.shardSlots) {
      throw new TopicLayoutError(t.name, t.partitions.length, config.shardSlots, 'SHARD_SLOTS');
    }
  }
}

// Reason, code and coordinate headers plus record framing.
const DLQ_HEADROOM_BYTES = 64 * 1024;
