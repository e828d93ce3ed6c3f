import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import xxhash from 'xxhash-wasm';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex, type SeriesHasher } from '@ringtail/hashring';
import type { RawSample } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, DEFAULT_SHARD_SLOTS, redisKeys, topicNames, windowValues, type Resolution, type WindowValues } from '@ringtail/model';
import { readWindows } from '@ringtail/query';
import { watermarkField } from '../../services/shard/src/watermarks.ts';
import { readRingStatus, redisRingStatusStore, type RingStatus } from '@ringtail/ring-status';
import { connectIdempotentProducer, createSentinelClient, kafkaSecurityOptions, type RedisSecurity } from '@ringtail/runtime';
import { ServiceProcess, stackClientSecurity, type StackEndpoints } from '@ringtail/stack';
import { expectedWindows } from './expected-windows.ts';
import { stackEnv } from './stack-env.ts';

const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;

export interface PipelineOptions {
  readonly namespace: string;
  /** SHARD_WORKER_ID of the shard workers started with the pipeline (more can join with `addShard`). */
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

/** The whole pipeline as OS processes (ingest x N, shard workers in one group) in one namespace. */
export class PipelineUnderTest {
  readonly ingest: ServiceProcess[];
  readonly shards: Map<string, ServiceProcess>;
  readonly kafka: Kafka;
  readonly redis: Redis;
  readonly env: Readonly<Record<string, string>>;
  private hasher: SeriesHasher | undefined;
  private readonly redisSecurity: RedisSecurity;
  private admin: Admin | undefined;

  constructor(
    readonly stack: StackEndpoints,
    readonly opts: PipelineOptions,
  ) {
    const env = { ...stackEnv(stack, opts.namespace), ...opts.extraEnv };
    this.env = env;
    this.ingest = Array.from(
      { length: opts.ingestInstances },
      (_, i) => new ServiceProcess({ name: `${this.tag}-ingest-${i}`, entry: 'services/ingest/src/main.ts', env, logDir: LOG_DIR }),
    );
    this.shards = new Map(opts.workers.map((w) => [w, this.shardProcess(w)]));
    const security = stackClientSecurity({ ...stack.clientEnv });
    this.redisSecurity = security.redis;
    this.kafka = new Kafka({ clientId: `${this.tag}-test`, brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING, ...kafkaSecurityOptions(security.kafka) });
    this.redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName, security: security.redis }, `${this.tag}-test`, 10_000);
    this.redis.on('error', () => undefined);
  }

  private get tag(): string {
    return this.opts.namespace.replace(/\.$/, '');
  }

  private shardProcess(workerId: string): ServiceProcess {
    return new ServiceProcess({ name: `${this.tag}-shard-${workerId}`, entry: 'services/shard/src/main.ts', env: { ...this.env, SHARD_WORKER_ID: workerId }, logDir: LOG_DIR });
  }

  /** Starts one more shard worker (it joins the group); resolves once it is ready. */
  async addShard(workerId: string, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
    if (this.shards.has(workerId)) throw new Error(`shard worker ${workerId} exists already`);
    const p = this.shardProcess(workerId);
    this.shards.set(workerId, p);
    await p.start(readyTimeoutMs);
    return p;
  }

  async start(): Promise<void> {
    this.hasher = createSeriesHasher(await xxhash());
    // Ingest creates the topics; shard workers start once their topic exists.
    await Promise.all(this.ingest.map((p) => p.start(120_000)));
    await Promise.all([...this.shards.values()].map((p) => p.start(120_000)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.ingest, ...this.shards.values()].map((p) => p.stop()));
    await this.admin?.disconnect();
    this.redis.disconnect();
  }

  /** The shard ring as `ringtail ring status` shows it. */
  async ringStatus(): Promise<RingStatus> {
    if (this.admin === undefined) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const topics = topicNames(this.opts.namespace);
    const store = redisRingStatusStore(this.redis, redisKeys(this.opts.namespace));
    return readRingStatus({ admin: this.admin, store, topic: topics.shard, groupId: topics.shardGroup, nowMs: Date.now() });
  }

  /** True when the group is stable with exactly `members` members and every slot has an owner. */
  async ringSettled(members: number): Promise<boolean> {
    const s = await this.ringStatus();
    return s.groupState === 'Stable' && s.members.length === members && s.unownedSlots.length === 0 && s.members.every((m) => m.slots.length > 0);
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
      await admin.deleteTopics({ topics: [topics.raw, topics.dlq, topics.shard] }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    // pipeline.stop() disconnected this.redis, so the purge has a client of its own.
    const redis = createSentinelClient({ sentinels: this.stack.sentinels, masterName: this.stack.sentinelMasterName, security: this.redisSecurity }, 'pipeline-purge', 10_000);
    try {
      for await (const keys of redis.scanStream({ match: redisKeys(this.opts.namespace).scanPattern, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
    } finally {
      redis.disconnect();
    }
  }

  /** The producer of every exactness check: retries that cannot write a sample twice. */
  producer(): Promise<Producer> {
    return connectIdempotentProducer(this.kafka);
  }

  seriesId(s: RawSample): string {
    if (!this.hasher) throw new Error('pipeline not started');
    return seriesIdHex(this.hasher.hash(canonicalSeriesKey(s.name, s.labels)));
  }

  /**
   * Every stored window of `resolution` of the series of `samples` over the
   * samples' time range, read through libs/query's one read path (hot windows
   * and compacted blocks alike), keyed `${seriesId}|${startMs}`.
   */
  private async storedWindows(samples: readonly RawSample[], resolution: Resolution): Promise<Map<string, WindowValues>> {
    const keys = redisKeys(this.opts.namespace);
    const ids = new Set<string>();
    let fromMs = Number.POSITIVE_INFINITY;
    let toMs = Number.NEGATIVE_INFINITY;
    for (const s of samples) {
      ids.add(this.seriesId(s));
      fromMs = Math.min(fromMs, s.timestamp);
      toMs = Math.max(toMs, s.timestamp);
    }
    const out = new Map<string, WindowValues>();
    if (ids.size === 0) return out;
    const windowsPerSeries = Math.floor((toMs - fromMs) / resolution.stepMs) + 2;
    const seriesPerRead = Math.max(1, Math.floor(100_000 / windowsPerSeries));
    const all = [...ids];
    for (let i = 0; i < all.length; i += seriesPerRead) {
      for (const w of await readWindows(this.redis, keys, all.slice(i, i + seriesPerRead), resolution, fromMs, toMs + 1)) {
        out.set(`${w.seriesId}|${w.startMs}`, windowValues(w.startMs, w.reading));
      }
    }
    return out;
  }

  /**
   * Compares every window of every resolution with the reference aggregation of
   * `samples`, including windows stored that the reference does not have.
   * Returns the mismatches (empty when exact), at most `limit` of them.
   */
  async mismatches(samples: readonly RawSample[], limit = 10): Promise<string[]> {
    const out: string[] = [];
    for (const r of DEFAULT_RESOLUTIONS) {
      const expected = expectedWindows(samples, r.stepMs, (s) => this.seriesId(s));
      const stored = await this.storedWindows(samples, r);
      for (const [k, want] of expected) {
        if (out.length >= limit) return out;
        const got = stored.get(k) ?? null;
        const same =
          got !== null &&
          got.count === want.count &&
          got.sum === want.sum &&
          got.min === want.min &&
          got.max === want.max &&
          got.first === want.first &&
          got.last === want.last;
        if (!same) out.push(`${r.name} ${k}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
      }
      for (const [k, got] of stored) {
        if (out.length >= limit) return out;
        if (!expected.has(k)) out.push(`${r.name} ${k}: not expected, got ${JSON.stringify(got)}`);
      }
    }
    return out;
  }

  /** Sum of `count` over the finest-resolution windows of the samples' series and time range. */
  async appliedCount(samples: readonly RawSample[]): Promise<number> {
    return this.countIn(samples, DEFAULT_RESOLUTIONS[0]!);
  }

  /**
   * The samples every resolution holds: the least, over the resolutions, of the sum of `count`
   * over their windows. The coarse resolutions lag the finest by up to COARSE_FLUSH_INTERVAL_MS,
   * so this is what to wait for before comparing every window.
   */
  async appliedInEveryResolution(samples: readonly RawSample[]): Promise<number> {
    const counts = await Promise.all(DEFAULT_RESOLUTIONS.map((r) => this.countIn(samples, r)));
    return Math.min(...counts);
  }

  /**
   * True once every slot's coarse resolutions hold what its finest holds: in each watermark
   * hash, every `c<raw partition>` field equals the raw partition's (absent: equal). Cheap
   * beside reading every window, so a bench can time the coarse resolutions' lag with it.
   */
  async coarseCaughtUp(slots = DEFAULT_SHARD_SLOTS): Promise<boolean> {
    const keys = redisKeys(this.opts.namespace);
    const hashes = await Promise.all(Array.from({ length: slots }, (_, slot) => this.redis.hgetall(keys.watermarks(slot))));
    return hashes.every((h) => Object.entries(h).every(([field, value]) => !/^\d+$/.test(field) || (h[watermarkField({ rawPartition: Number(field), coarse: true })] ?? value) === value));
  }

  private async countIn(samples: readonly RawSample[], resolution: Resolution): Promise<number> {
    let total = 0;
    for (const w of (await this.storedWindows(samples, resolution)).values()) total += w.count;
    return total;
  }
}
