import { afterAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { createKafka, createLogger, ensureTopics, TopicLayoutError, type TopicSpec } from '@ringtail/runtime';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

const log = createLogger('topic-setup-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const CLIENTS = 6;
const ROUNDS = 3;
const created: string[] = [];

async function withAdmins<T>(count: number, run: (admins: Admin[]) => Promise<T>): Promise<T> {
  // One Kafka client per simulated process: own connections, own metadata cache.
  const admins = Array.from({ length: count }, (_, i) => createKafka(stackEndpoints().kafkaBrokers, `topic-setup-${i}`, log).admin());
  await Promise.all(admins.map((a) => a.connect()));
  try {
    return await run(admins);
  } finally {
    await Promise.all(admins.map((a) => a.disconnect()));
  }
}

/** The topics of a fresh namespace: raw, DLQ and the shard topic whose partitions are the slots. */
function namespaceTopics(namespace: string): { raw: TopicSpec; dlq: TopicSpec; shard: TopicSpec } {
  return {
    raw: { topic: `${namespace}metrics.raw`, numPartitions: 8 },
    dlq: { topic: `${namespace}metrics.dlq`, numPartitions: 2 },
    shard: { topic: `${namespace}metrics.shard`, numPartitions: 16, partitionsSetting: 'SHARD_SLOTS' },
  };
}

afterAll(async () => {
  await withAdmins(1, async ([admin]) => {
    const existing = new Set(await admin!.listTopics());
    const ours = created.filter((t) => existing.has(t));
    if (ours.length > 0) await admin!.deleteTopics({ topics: ours });
  });
});

describe('ensureTopics', () => {
  it('lets several processes create the same fresh topics at once, each topic usable as soon as it returns', async () => {
    await withAdmins(CLIENTS, async (admins) => {
      for (let round = 0; round < ROUNDS; round++) {
        const t = namespaceTopics(randomNamespace('topics'));
        created.push(t.raw.topic, t.dlq.topic, t.shard.topic);
        // Client 0 is ingest (every topic); the others are shard workers (the shard topic), half of
        // them also producers (`ringtail produce` creates the raw topic).
        const needs = admins.map((_, i) => (i === 0 ? [t.raw, t.dlq, t.shard] : i % 2 === 0 ? [t.shard, t.raw] : [t.shard]));
        await Promise.all(admins.map((admin, i) => ensureTopics(admin, needs[i]!, { log })));
        // Used at once, by each client, through its own metadata: every partition has a leader answering ListOffsets.
        const seen = await Promise.all(admins.map((admin, i) => Promise.all(needs[i]!.map(async (s) => (await admin.fetchTopicOffsets(s.topic)).length))));
        expect(seen).toEqual(needs.map((n) => n.map((s) => s.numPartitions)));
      }
    });
  });

  it('names the setting when an existing topic has another partition count', async () => {
    const topic = `${randomNamespace('topics')}metrics.shard`;
    created.push(topic);
    await withAdmins(1, async ([admin]) => {
      await ensureTopics(admin!, [{ topic, numPartitions: 3 }]);
      const err = await ensureTopics(admin!, [{ topic, numPartitions: 8, partitionsSetting: 'SHARD_SLOTS' }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TopicLayoutError);
      expect((err as TopicLayoutError).message).toBe(`topic ${topic} has 3 partitions, SHARD_SLOTS=8 requires 8`);
      // Without a setting requiring a count, the existing topic is used as it is.
      await expect(ensureTopics(admin!, [{ topic, numPartitions: 8 }])).resolves.toBeUndefined();
    });
  });
});
