import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { backoffDelayMs, type BackoffPolicy } from '@ringtail/model';
import type { Logger } from './logger.ts';

/** One topic a process needs. */
export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /**
   * The setting `numPartitions` comes from. When given, an existing topic with
   * another partition count is a TopicLayoutError naming it; when absent, an
   * existing topic is used as it is.
   */
  readonly partitionsSetting?: string;
  readonly replicationFactor?: number;
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[];
}

/** An existing topic's partition count differs from the one a setting requires. Not retriable: the layout is wrong. */
export class TopicLayoutError extends Error {
  override readonly name = 'TopicLayoutError' as const;
  readonly code = 'TOPIC_LAYOUT' as const;
  readonly retriable = false as const;

  constructor(
    readonly topic: string,
    readonly have: number,
    readonly want: number,
    readonly configKey: string,
  ) {
    super(`topic ${topic} has ${have} partitions, ${configKey}=${want} requires ${want}`);
  }
}

/** A topic whose partitions have no leader yet, as seen in metadata: the creation has not settled. */
class TopicNotSettledError extends Error {
  readonly retriable = true;
  constructor(topic: string) {
    super(`topic ${topic} has partitions without a leader yet`);
  }
}

export interface EnsureTopicsOptions {
  readonly log?: Logger;
  /** Attempts before the last error is thrown. Default 10 (about 20 s with the default backoff). */
  readonly attempts?: number;
  readonly backoff?: BackoffPolicy;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 3000 };

function isRetriable(err: unknown): boolean {
  if (err instanceof TopicLayoutError) return false;
  const e = err as { retriable?: unknown; errors?: unknown[] } | null;
  // kafkajs wraps per-topic creation errors in an aggregate: retriable when every one is.
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.every(isRetriable);
  return e?.retriable === true;
}

async function createMissing(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions,
    replicationFactor: s.replicationFactor,
    configEntries: s.configEntries?.map((c) => ({ ...c })),
  }));
  // Leaders are awaited below for every topic, created here or by a concurrent process:
  // kafkajs only waits for them when it created all of them itself.
  await admin.createTopics({ topics, waitForLeaders: false });
  return missing.map((s) => s.topic);
}

async function checkSettled(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  for (const spec of specs) {
    const meta = topics.find((t) => t.name === spec.topic);
    if (!meta || meta.partitions.length === 0 || meta.partitions.some((p) => p.leader < 0)) throw new TopicNotSettledError(spec.topic);
    if (spec.partitionsSetting !== undefined && meta.partitions.length !== spec.numPartitions) {
      throw new TopicLayoutError(spec.topic, meta.partitions.length, spec.numPartitions, spec.partitionsSetting);
    }
  }
  // Metadata may name a leader before that broker serves the partition (NOT_LEADER_OR_FOLLOWER
  // for a moment): a ListOffsets answered by every partition's leader proves it does.
  await Promise.all(specs.map((s) => admin.fetchTopicOffsets(s.topic)));
}

/**
 * Makes sure every topic of `specs` exists and is usable before the caller
 * produces to or consumes from it — the one topic set-up of every Ringtail
 * process. Creates the missing ones (existing topics keep their settings),
 * waits until every partition has a leader, and checks partition counts where
 * a setting requires one, then until every partition's leader answers. Creation races with other processes (topic already
 * exists, "does not host this topic-partition" while the new topic's metadata
 * spreads, leader not available, not the leader yet) are retried with backoff. Idempotent.
 * @throws TopicLayoutError for a partition-count mismatch; the last Kafka error once attempts run out.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], opts: EnsureTopicsOptions = {}): Promise<void> {
  const attempts = opts.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await createMissing(admin, specs);
      if (created.length > 0) opts.log?.info({ topics: created }, 'created topics');
      await checkSettled(admin, specs);
      return;
    } catch (err) {
      if (!isRetriable(err) || attempt >= attempts) throw err;
      const retryInMs = backoffDelayMs(opts.backoff ?? DEFAULT_BACKOFF, attempt, Math.random());
      opts.log?.warn({ err, attempt, retryInMs }, 'topic set-up not settled yet, retrying');
      await sleep(retryInMs);
    }
  }
}

/** `ensureTopics` through a short-lived admin client of `kafka`, for a process's start-up. */
export async function ensureTopicsWith(kafka: Kafka, specs: readonly TopicSpec[], opts: EnsureTopicsOptions = {}): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, specs, opts);
  } finally {
    await admin.disconnect();
  }
}
