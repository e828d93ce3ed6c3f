import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import xxhash from 'xxhash-wasm';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex, type SeriesHasher } from '@ringtail/hashring';
import type { RawSample } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, WINDOW_FIELDS, decodeWindowHash, redisKeys, topicNames, windowValues } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { ServiceProcess, type StackEndpoints } from '@ringtail/stack';
import { expectedWindows } from './expected-windows.ts';
import { stackEnv } from './stack-env.ts';

const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;

export interface PipelineOptions {
  readonly namespace: string;
  readonly workers: readonly string[];
  readonly ingestInstances: number;
  readonly extraEnv?: Record<string, string>;
}

/** Sum of one un-labelled metric over several processes (undefined counts as 0). */
export async function sumMetric(processes: Iterable<ServiceProcess>, name: string): Promise<number> {
  let total = 0;
  for (const p of processes) total += (await p.metric(name)) ?? 0;
  return total;
}

/** The whole pipeline as OS processes (ingest x N, one shard process per worker) in one namespace. */
export class PipelineUnderTest {
  readonly ingest: ServiceProcess[];
  readonly shards: Map<string, ServiceProcess>;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly env: Readonly<Record<string, string>>;
  private hasher: SeriesHasher | undefined;

  constructor(
    readonly stack: StackEndpoints,
    readonly opts: PipelineOptions,
  ) {
    const env = { ...stackEnv(stack, opts.namespace), SHARD_WORKERS: opts.workers.join(','), ...opts.extraEnv };
    this.env = env;
    const tag = opts.namespace.replace(/\.$/, '');
    this.ingest = Array.from(
      { length: opts.ingestInstances },
      (_, i) => new ServiceProcess({ name: `${tag}-ingest-${i}`, entry: 'services/ingest/src/main.ts', env, logDir: LOG_DIR }),
    );
    this.shards = new Map(
      opts.workers.map((w) => [
        w,
        new ServiceProcess({ name: `${tag}-shard-${w}`, entry: 'services/shard/src/main.ts', env: { ...env, SHARD_WORKER_ID: w }, logDir: join(LOG_DIR) }),
      ]),
    );
    this.kafka = new Kafka({ clientId: `${tag}-test`, brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
    this.redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, `${tag}-test`, 10_000);
    this.redis.on('error', () => undefined);
  }

  async start(): Promise<void> {
    this.hasher = createSeriesHasher(await xxhash());
    // Ingest creates the topics; shard workers start once their topic exists.
    await Promise.all(this.ingest.map((p) => p.start(120_000)));
    await Promise.all([...this.shards.values()].map((p) => p.start(120_000)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.ingest, ...this.shards.values()].map((p) => p.stop()));
    this.redis.disconnect();
  }

  /**
   * Deletes the namespace's topics and Redis keys. Call after `stop()`: a running
   * shard worker would write windows again with its last flush.
   */
  async purge(): Promise<void> {
    const topics = topicNames(this.opts.namespace);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topics.raw, topics.dlq, ...this.opts.workers.map((w) => topics.shard(w))] }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    // pipeline.stop() disconnected this.redis, so the purge has a client of its own.
    const redis = createSentinelClient({ sentinels: this.stack.sentinels, masterName: this.stack.sentinelMasterName }, 'pipeline-purge', 10_000);
    try {
      for await (const keys of redis.scanStream({ match: `${redisKeys(this.opts.namespace).prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  }

  async producer(): Promise<Producer> {
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return producer;
  }

  seriesId(s: RawSample): string {
    if (!this.hasher) throw new Error('pipeline not started');
    return seriesIdHex(this.hasher.hash(canonicalSeriesKey(s.name, s.labels)));
  }

  /**
   * Compares every window of every resolution with the reference aggregation of
   * `samples`. Returns the mismatches (empty when exact), at most `limit` of them.
   */
  async mismatches(samples: readonly RawSample[], limit = 10): Promise<string[]> {
    const keys = redisKeys(this.opts.namespace);
    const out: string[] = [];
    for (const r of DEFAULT_RESOLUTIONS) {
      const expected = [...expectedWindows(samples, r.stepMs, (s) => this.seriesId(s))];
      for (let i = 0; i < expected.length && out.length < limit; i += 2000) {
        const chunk = expected.slice(i, i + 2000);
        const pipeline = this.redis.pipeline();
        for (const [k] of chunk) {
          const [id, start] = k.split('|');
          pipeline.hgetall(keys.window(id!, r.name, Number(start)));
        }
        const replies = (await pipeline.exec()) ?? [];
        chunk.forEach(([k, want], j) => {
          const [err, fields] = replies[j] ?? [new Error('no reply'), null];
          const reading = err ? null : decodeWindowHash(fields as Record<string, string>);
          const got = reading ? windowValues(0, reading) : null;
          const same =
            got !== null &&
            got.count === want.count &&
            got.sum === want.sum &&
            got.min === want.min &&
            got.max === want.max &&
            got.first === want.first &&
            got.last === want.last;
          if (!same && out.length < limit) {
            out.push(`${r.name} ${k}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
          }
        });
      }
    }
    return out;
  }

  /** Sum of `count` over the finest-resolution windows the samples fall in. */
  async appliedCount(samples: readonly RawSample[]): Promise<number> {
    const keys = redisKeys(this.opts.namespace);
    const r = DEFAULT_RESOLUTIONS[0]!;
    const windows = new Set<string>();
    for (const s of samples) windows.add(keys.window(this.seriesId(s), r.name, Math.floor(s.timestamp / r.stepMs) * r.stepMs));
    let total = 0;
    const all = [...windows];
    for (let i = 0; i < all.length; i += 5000) {
      const pipeline = this.redis.pipeline();
      for (const key of all.slice(i, i + 5000)) pipeline.hget(key, WINDOW_FIELDS.count);
      for (const [err, value] of (await pipeline.exec()) ?? []) if (!err && value) total += Number(value);
    }
    return total;
  }
}
