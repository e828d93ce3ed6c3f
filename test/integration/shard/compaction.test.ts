import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import {
  DEFAULT_RESOLUTIONS,
  DLQ_HEADERS,
  encodeShardRecord,
  redisKeys,
  topicNames,
  windowStartMs,
  windowValues,
  type ShardRecord,
  type ShardSeries,
  type WindowValues,
} from '@ringtail/model';
import { querySeries, readWindow, readWindows } from '@ringtail/query';
import { createLogger, createSentinelClient, ensureTopics, metricValue, scrapeMetrics } from '@ringtail/runtime';
import { ServiceProcess } from '@ringtail/stack';
import { loadConfig, startShard, type RunningShard } from '@ringtail/shard';
import { prng } from '@ringtail/loadgen';
import { eventually, randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';
import { rawOffsetInEveryResolution } from '../../support/watermarks.ts';
import { correctlyRoundedSum } from '../../support/correctly-rounded-sum.ts';
import { expectedWindows } from '../../support/expected-windows.ts';
import { testSeed } from '../../support/test-seed.ts';

const SLOTS = 2;
const HOUR_MS = 3_600_000;
const SEED = testSeed('shard/compaction');
const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;
// Two hours back, on an hour boundary: every window is within retention, and a clock at BASE + 3 h has closed all of them.
const BASE_MS = windowStartMs(Date.now() - 2 * HOUR_MS, HOUR_MS);
const CLOCK_MS = BASE_MS + 3 * HOUR_MS;

function seriesOf(n: number, prefix: number): ShardSeries[] {
  return Array.from({ length: n }, (_, i) => ({
    id: (prefix + i).toString(16).padStart(16, '0'),
    name: i % 2 === 0 ? 'node_cpu_seconds_total' : 'node_memory_free_bytes',
    labels: { host: `h${i % 5}`, i: String(i) },
  }));
}

/** Samples over the first 40 minutes after BASE_MS, every 10 s per series with jitter, as shard records of `records` each. */
function workload(series: readonly ShardSeries[], seed: number): { records: ShardRecord[]; samples: { id: string; value: number; timestamp: number }[] } {
  const random = prng(seed);
  const samples: { id: string; value: number; timestamp: number; s: number }[] = [];
  for (let t = 0; t < 40 * 60_000; t += 10_000) {
    series.forEach((_, s) => {
      // Counters, gauges and odd values: the sum limbs must round once, exactly as a reader of the hot window saw them.
      const kind = s % 3;
      const value = kind === 0 ? t / 1000 + s : kind === 1 ? (random() - 0.5) * 1e6 : [5e-324, -0, 1e300, -2.5][Math.floor(random() * 4)]!;
      samples.push({ id: series[s]!.id, value, timestamp: BASE_MS + t + Math.floor(random() * 9_000), s });
    });
  }
  const records: ShardRecord[] = [];
  const PER_RECORD = 200;
  for (let i = 0; i < samples.length; i += PER_RECORD) {
    const chunk = samples.slice(i, i + PER_RECORD);
    // One raw partition, offsets increasing; the raw record time is the slot clock that closes windows.
    records.push({ v: 2, rp: 0, rt: CLOCK_MS, series: [...series], samples: chunk.map((x, j) => [x.s, x.value, x.timestamp, i + j] as const) });
  }
  return { records, samples };
}

/** Every stored window of `ids`, every resolution, as a reader sees it. */
async function reading(redis: Redis, keys: ReturnType<typeof redisKeys>, ids: readonly string[]): Promise<Map<string, WindowValues>> {
  const out = new Map<string, WindowValues>();
  for (const r of DEFAULT_RESOLUTIONS) {
    for (const w of await readWindows(redis, keys, ids, r, BASE_MS, BASE_MS + 2 * HOUR_MS)) out.set(`${r.name}|${w.seriesId}|${w.startMs}`, windowValues(w.startMs, w.reading));
  }
  return out;
}

function expectSameReading(after: Map<string, WindowValues>, before: Map<string, WindowValues>): void {
  expect(after.size).toBe(before.size);
  for (const [key, want] of before) {
    const got = after.get(key);
    for (const field of Object.keys(want) as (keyof WindowValues)[]) {
      if (!Object.is(got?.[field], want[field])) throw new Error(`${key} ${field}: ${got?.[field]} after compaction, ${want[field]} before`);
    }
  }
}

describe('compaction of closed windows into blocks', () => {
  const namespace = randomNamespace('compact');
  const names = topicNames(namespace);
  const keys = redisKeys(namespace, SLOTS);
  const log = createLogger('compaction-test', 'silent');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  let shard: RunningShard | undefined;
  let processShard: ServiceProcess | undefined;

  const env = (compactIntervalMs: number) => ({
    ...stackEnv(stackEndpoints(), namespace),
    SHARD_WORKER_ID: 'c0',
    FLUSH_INTERVAL_MS: '100',
    SHARD_SLOTS: String(SLOTS),
    COMPACT_INTERVAL_MS: String(compactIntervalMs),
    HTTP_PORT: '0',
  });
  const send = (records: readonly ShardRecord[], slot: number) =>
    producer.send({ topic: names.shard, acks: -1, messages: records.map((r) => ({ partition: slot, value: encodeShardRecord(r) })) });
  const hotCount = async (slot: number) => {
    let n = 0;
    for (const r of DEFAULT_RESOLUTIONS) n += await redis.zcard(keys.hotWindows(slot, r.name));
    return n;
  };
  const windowHashes = async (slot: number) => (await redis.keys(`{rt:${namespace}:${slot}}:w:*`)).length;
  const waitApplied = (slot: number, offset: number) =>
    eventually(`slot ${slot} to apply raw offset ${offset}`, 90_000, async () => ((await rawOffsetInEveryResolution(redis, keys, slot, 0)) >= offset ? true : undefined), 100);

  beforeAll(async () => {
    console.log(`compaction integration namespace ${namespace}`);
    const stack = stackEndpoints();
    kafka = new Kafka({ clientId: 'compaction-test', brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: names.shard, numPartitions: SLOTS },
      { topic: names.dlq, numPartitions: 1 },
    ]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'compaction-test');
  });

  afterAll(async () => {
    await shard?.stop();
    await processShard?.kill();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [names.shard, names.dlq] }).catch(() => undefined);
    await admin?.disconnect();
    const stale = await redis.keys(keys.scanPattern);
    for (let i = 0; i < stale.length; i += 500) await redis.del(...stale.slice(i, i + 500));
    redis.disconnect();
  });

  it('reads every window the same before and after compaction, field by field, and moves every closed one', async () => {
    const series = seriesOf(6, 0xc0000).filter((s) => Number.parseInt(s.id, 16) % SLOTS === 0);
    const { records, samples } = workload(series, SEED);
    shard = await startShard(loadConfig(env(0)), log);
    await send(records, 0);
    await waitApplied(0, samples.length - 1);
    const ids = series.map((s) => s.id);
    const before = await reading(redis, keys, ids);
    // The uncompacted reading is the reference's too: the windows of what was sent, sums correctly rounded.
    for (const r of DEFAULT_RESOLUTIONS) {
      const want = expectedWindows(samples, r.stepMs, (x) => x.id);
      expect([...before.keys()].filter((k) => k.startsWith(`${r.name}|`)).length).toBe(want.size);
      for (const [k, w] of want) {
        const values = samples.filter((x) => `${x.id}|${windowStartMs(x.timestamp, r.stepMs)}` === k).map((x) => (x.value === 0 ? 0 : x.value));
        expect({ k, ...before.get(`${r.name}|${k}`) }).toMatchObject({ k, ...w, sum: correctlyRoundedSum(values) });
      }
    }
    const queryBefore = await querySeries(redis, keys, 'node_cpu_seconds_total', { fromMs: BASE_MS, toMs: BASE_MS + HOUR_MS, stepMs: 60_000 });
    await shard.stop();
    shard = undefined;

    shard = await startShard(loadConfig(env(100)), log);
    await eventually('every closed window moved into a block', 90_000, async () => ((await hotCount(0)) === 0 && (await windowHashes(0)) === 0 ? true : undefined), 200);
    const blocks = (await redis.keys(keys.scanPattern)).filter((k) => k.includes('}:b:'));
    expect(blocks.length).toBeGreaterThan(0);
    expectSameReading(await reading(redis, keys, ids), before);
    const one = [...before.entries()].find(([k]) => k.startsWith('1m|'))!;
    const [, id, start] = one[0].split('|');
    expect(windowValues(Number(start), (await readWindow(redis, keys, id!, DEFAULT_RESOLUTIONS[1]!, Number(start)))!)).toEqual(one[1]);
    // A query at the window's own step answers the same. (A coarser step sums the windows' rounded sums once they are in blocks.)
    expect(await querySeries(redis, keys, 'node_cpu_seconds_total', { fromMs: BASE_MS, toMs: BASE_MS + HOUR_MS, stepMs: 60_000 })).toEqual(queryBefore);

    // A re-run (the next passes, a restart) changes nothing.
    const bytes = await Promise.all(blocks.map((k) => redis.getBuffer(k)));
    await shard.stop();
    shard = await startShard(loadConfig(env(100)), log);
    await eventually('two passes after the restart', 30_000, async () =>
      (metricValue(await scrapeMetrics(shard!.httpPort), 'ringtail_shard_compaction_duration_ms_count') ?? 0) >= 2 ? true : undefined,
    );
    expect(await Promise.all(blocks.map((k) => redis.getBuffer(k)))).toEqual(bytes);
    expectSameReading(await reading(redis, keys, ids), before);

    // Late: one sample in a compacted window (all resolutions closed) goes to the DLQ with its code;
    // two within the allowed lateness merge exactly into one hot window.
    const s0 = series[0]!;
    const base = samples.length;
    const lateTs = BASE_MS + 5 * 60_000 + 1;
    const onTimeTs = CLOCK_MS - 60_000;
    await send([{ v: 2, rp: 0, rt: CLOCK_MS, series: [s0], samples: [[0, 7, lateTs, base]] }], 0);
    await send([{ v: 2, rp: 0, rt: CLOCK_MS, series: [s0], samples: [[0, 0.1, onTimeTs, base + 1], [0, 0.2, onTimeTs + 1, base + 1]] }], 0);
    await waitApplied(0, base + 1);
    const tenSeconds = DEFAULT_RESOLUTIONS[0]!;
    const hot = await readWindow(redis, keys, s0.id, tenSeconds, windowStartMs(onTimeTs, tenSeconds.stepMs));
    expect(hot && windowValues(windowStartMs(onTimeTs, tenSeconds.stepMs), hot)).toMatchObject({ count: 2, sum: 0.30000000000000004, min: 0.1, max: 0.2, first: 0.1, last: 0.2 });
    const lateWindow = `10s|${s0.id}|${windowStartMs(lateTs, tenSeconds.stepMs)}`;
    expect((await reading(redis, keys, ids)).get(lateWindow)).toEqual(before.get(lateWindow));

    const dlq: { code: string; offset: string; value: string }[] = [];
    const consumer = kafka.consumer({ groupId: `${names.dlq}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: names.dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void dlq.push({ code: String(message.headers?.[DLQ_HEADERS.code]), offset: String(message.headers?.[DLQ_HEADERS.rawOffset]), value: String(message.value) }),
    });
    await eventually('the late sample in the DLQ', 60_000, async () => (dlq.length > 0 ? true : undefined), 200);
    await consumer.disconnect();
    expect(dlq[0]).toEqual({ code: 'TIMESTAMP_TOO_OLD', offset: String(base), value: JSON.stringify({ name: s0.name, labels: s0.labels, value: 7, timestamp: lateTs }) });
    await shard.stop();
    shard = undefined;
  });

  it('stays equal after a worker is killed (kill -9) mid-compaction and another one finishes it', async () => {
    const series = seriesOf(120, 0xd0000).filter((s) => Number.parseInt(s.id, 16) % SLOTS === 1);
    const { records, samples } = workload(series, SEED + 1);
    const shardRecords = records.map((r) => ({ ...r, rp: 1 }));
    shard = await startShard(loadConfig(env(0)), log);
    await send(shardRecords, 1);
    await eventually('slot 1 applied', 120_000, async () => ((await rawOffsetInEveryResolution(redis, keys, 1, 1)) >= samples.length - 1 ? true : undefined), 200);
    const ids = series.map((s) => s.id);
    const before = await reading(redis, keys, ids);
    const hotBefore = await hotCount(1);
    await shard.stop();
    shard = undefined;

    processShard = new ServiceProcess({ name: `${namespace}compactor`, entry: 'services/shard/src/main.ts', env: { ...env(100), SHARD_WORKER_ID: 'c1', COMPACT_MAX_WINDOWS_PER_PASS: '300' }, logDir: LOG_DIR });
    await processShard.start();
    await eventually('compaction under way', 120_000, async () => {
      const left = await hotCount(1);
      return left < hotBefore ? true : undefined;
    }, 20);
    await processShard.kill();
    processShard = undefined;
    const left = await hotCount(1);
    console.log(`killed with ${left} of ${hotBefore} hot windows left`);
    expect(left).toBeGreaterThan(0);

    shard = await startShard(loadConfig({ ...env(100), SHARD_WORKER_ID: 'c2' }), log);
    await eventually('the rest compacted', 120_000, async () => ((await hotCount(1)) === 0 && (await windowHashes(1)) === 0 ? true : undefined), 200);
    expectSameReading(await reading(redis, keys, ids), before);
  });
});
