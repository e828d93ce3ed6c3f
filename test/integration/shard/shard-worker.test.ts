import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import {
  DEFAULT_RESOLUTIONS,
  encodeShardRecord,
  redisKeys,
  topicNames,
  windowStartMs,
  windowValues,
  type ShardRecord,
  type ShardSeries,
} from '@ringtail/model';
import { querySeries, readWindows } from '@ringtail/query';
import { createLogger, createSentinelClient, ensureTopics, metricValue, scrapeMetrics } from '@ringtail/runtime';
import { loadConfig, startShard, type RunningShard } from '@ringtail/shard';
import { eventually, randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';
import { rawOffsetInEveryResolution } from '../../support/watermarks.ts';
import { prng } from '@ringtail/loadgen';
import { expectedWindows as referenceWindows, type ExpectedWindow } from '../../support/expected-windows.ts';
import { testSeed } from '../../support/test-seed.ts';

const SHARD_PARTITIONS = 2;
const RAW_PARTITIONS = 3;
const MESSAGES_PER_RAW_PARTITION = 240;
const MESSAGES_PER_RECORD = 8;
const SERIES: ShardSeries[] = Array.from({ length: 12 }, (_, i) => ({
  id: (0xab000 + i).toString(16).padStart(16, '0'),
  name: i % 3 === 0 ? 'mem_bytes' : 'cpu_seconds',
  labels: { host: `h${i % 4}`, dc: i % 2 === 0 ? 'east' : 'west' },
}));

/** One raw message's samples for the shard: [series index, value, timestamp ms]. */
type RawMessage = [number, number, number][];

const SEED = testSeed('shard/integration');
// Recent timestamps: windows must not be past their retention when written.
const BASE_MS = windowStartMs(Date.now() - 30 * 60_000, 3_600_000);
const random = prng(SEED);
const rawMessages: RawMessage[][] = Array.from({ length: RAW_PARTITIONS }, () =>
  Array.from({ length: MESSAGES_PER_RAW_PARTITION }, () =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, (): [number, number, number] => [
      Math.floor(random() * SERIES.length),
      // Multiples of 0.25: the reference sums below are exact in floating point.
      Math.round((random() - 0.3) * 4000) / 4,
      BASE_MS + Math.floor(random() * 25 * 60_000),
    ]),
  ),
);

/** Shard records of raw partition `rp` for raw offsets [from, to), whole messages per record. */
function records(rp: number, from: number, to: number): ShardRecord[] {
  const out: ShardRecord[] = [];
  for (let start = from; start < to; start += MESSAGES_PER_RECORD) {
    const samples: [number, number, number, number][] = [];
    for (let o = start; o < Math.min(to, start + MESSAGES_PER_RECORD); o++) {
      for (const [s, v, ts] of rawMessages[rp]![o]!) samples.push([s, v, ts, o]);
    }
    out.push({ v: 2, rp, series: SERIES, samples });
  }
  return out;
}

function sampleCount(rp: number, from: number, to: number): number {
  let n = 0;
  for (let o = from; o < to; o++) n += rawMessages[rp]![o]!.length;
  return n;
}

/** Reference windows of every message, each counted once, for one resolution step. */
function expectedWindows(stepMs: number): Map<string, ExpectedWindow> {
  const samples = rawMessages.flat(2).map(([s, value, timestamp]) => ({ id: SERIES[s]!.id, value, timestamp }));
  return referenceWindows(samples, stepMs, (x) => x.id);
}

async function metric(shard: RunningShard, name: string): Promise<number> {
  return metricValue(await scrapeMetrics(shard.httpPort), name) ?? Number.NaN;
}

describe('shard worker against Kafka and Redis Sentinel', () => {
  const namespace = randomNamespace('shard');
  const names = topicNames(namespace);
  const shardTopic = names.shard;
  const keys = redisKeys(namespace, SHARD_PARTITIONS);
  const log = createLogger('shard-test', 'silent');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  let shard: RunningShard | undefined;

  const config = () =>
    loadConfig({
      ...stackEnv(stackEndpoints(), namespace),
      SHARD_WORKER_ID: 'w0',
      FLUSH_INTERVAL_MS: '100',
      // Every resolution with every flush: the exact skip and refetch counts below assume a
      // re-read starts where the last flush ended. With the coarse resolutions on their own
      // cadence a reload re-reads up to COARSE_FLUSH_INTERVAL_MS more (see window-aggregator.test.ts).
      COARSE_FLUSH_INTERVAL_MS: '0',
      SHARD_SLOTS: String(SHARD_PARTITIONS),
      HTTP_PORT: '0',
    });

  let sentMessages = 0;
  const send = async (batches: ShardRecord[]) => {
    sentMessages += batches.length;
    await producer.send({
      topic: shardTopic,
      acks: -1,
      messages: batches.map((r) => ({ partition: r.rp % SHARD_PARTITIONS, value: encodeShardRecord(r) })),
    });
  };

  /** Waits until Redis holds `offsets[rp]` as the watermark of every raw partition. */
  const waitForWatermarks = (offsets: readonly number[]) =>
    eventually('watermarks to reach the last sent raw offsets', 60_000, async () => {
      for (let rp = 0; rp < RAW_PARTITIONS; rp++) {
        if ((await rawOffsetInEveryResolution(redis, keys, rp % SHARD_PARTITIONS, rp)) !== offsets[rp]) return undefined;
      }
      return true;
    });

  beforeAll(async () => {
    console.log(`shard integration namespace ${namespace}`);
    const stack = stackEndpoints();
    kafka = new Kafka({ clientId: 'shard-test', brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: shardTopic, numPartitions: SHARD_PARTITIONS }]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'shard-test');
  });

  afterAll(async () => {
    await shard?.stop();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [shardTopic] }).catch(() => undefined);
    await admin?.disconnect();
    const stale = await redis.keys(keys.scanPattern);
    for (let i = 0; i < stale.length; i += 500) await redis.del(...stale.slice(i, i + 500));
    redis.disconnect();
  });

  it('applies every sample once, skips re-sent ones, and resumes from the Redis watermarks after a restart', async () => {
    const half = MESSAGES_PER_RAW_PARTITION / 2;
    shard = await startShard(config(), log);

    // Phase 1: the first half, with an ingest-style replay of rp 0 going back to raw offset 40.
    for (let rp = 0; rp < RAW_PARTITIONS; rp++) await send(records(rp, 0, half));
    await send(records(0, 40, half));
    await waitForWatermarks(Array.from({ length: RAW_PARTITIONS }, () => half - 1));
    await eventually('replayed samples to be counted as skipped', 10_000, async () =>
      (await metric(shard!, 'ringtail_shard_samples_skipped_total')) === sampleCount(0, 40, half) ? true : undefined,
    );
    expect(await metric(shard, 'ringtail_shard_samples_applied_total')).toBe(
      Array.from({ length: RAW_PARTITIONS }, (_, rp) => sampleCount(rp, 0, half)).reduce((a, b) => a + b),
    );
    await shard.stop();
    shard = undefined;
    const phaseOneMessages = sentMessages;

    // A crash between flush and commit, made worse: the group re-reads the topic from the start.
    await admin.resetOffsets({ groupId: names.shardGroup, topic: shardTopic, earliest: true });

    // Phase 2: the second half plus a replay straddling the restart.
    for (let rp = 0; rp < RAW_PARTITIONS; rp++) await send([...records(rp, half - 16, half), ...records(rp, half, MESSAGES_PER_RAW_PARTITION)]);
    shard = await startShard(config(), log);
    await waitForWatermarks(Array.from({ length: RAW_PARTITIONS }, () => MESSAGES_PER_RAW_PARTITION - 1));

    // Redis says where each slot's applied records end, so the records read again from the start
    // are passed over by offset; the ones re-sent after that point are skipped by the watermarks.
    const straddling = Array.from({ length: RAW_PARTITIONS }, (_, rp) => sampleCount(rp, half - 16, half)).reduce((a, b) => a + b);
    // The last count seen goes into the timeout's message: more than re-sent means records were
    // folded twice (a re-read), fewer that some were not skipped.
    let skipped = NaN;
    await eventually('every re-sent sample to be skipped', 10_000, async () => {
      skipped = await metric(shard!, 'ringtail_shard_samples_skipped_total');
      return skipped === straddling ? true : undefined;
    }).catch(async (err: unknown) => {
      const refetched = await metric(shard!, 'ringtail_shard_records_refetched_total');
      throw new Error(`skipped ${skipped} samples, ${straddling} re-sent; ${refetched} records refetched, ${phaseOneMessages} in phase one`, { cause: err });
    });
    expect(await metric(shard, 'ringtail_shard_records_refetched_total')).toBe(phaseOneMessages);
    expect(await metric(shard, 'ringtail_shard_samples_applied_total')).toBe(
      Array.from({ length: RAW_PARTITIONS }, (_, rp) => sampleCount(rp, half, MESSAGES_PER_RAW_PARTITION)).reduce((a, b) => a + b),
    );

    // Every window of every resolution equals the reference, field by field.
    for (const r of DEFAULT_RESOLUTIONS) {
      const expected = expectedWindows(r.stepMs);
      const stored = await readWindows(redis, keys, SERIES.map((s) => s.id), r, BASE_MS, BASE_MS + 3_600_000);
      const got = new Map(stored.map((w) => [`${w.seriesId}|${w.startMs}`, windowValues(w.startMs, w.reading)]));
      expect(got.size).toBe(expected.size);
      for (const [key, want] of expected) {
        const { startMs: _start, ...values } = got.get(key) ?? { startMs: 0 };
        expect({ key, ...values }).toEqual({ key, ...want });
      }
    }

    // The index finds the series, and a 5m step re-aggregates 1m windows to the same totals.
    const rows = await querySeries(redis, keys, 'cpu_seconds{dc="east",host=~"h[02]"}', {
      fromMs: BASE_MS,
      toMs: BASE_MS + 3_600_000,
      stepMs: 5 * 60_000,
    });
    const wantIds = SERIES.filter((s) => s.name === 'cpu_seconds' && s.labels.dc === 'east').map((s) => s.id).sort();
    expect(rows.map((r) => r.series.id)).toEqual(wantIds);
    const hourly = expectedWindows(3_600_000);
    for (const row of rows) {
      expect(row.resolution).toBe('1m');
      const total = row.points.reduce((n, p) => n + p.count, 0);
      const want = [...hourly].filter(([k]) => k.startsWith(`${row.series.id}|`)).reduce((n, [, w]) => n + w.count, 0);
      expect(total).toBe(want);
    }

    const flushes = await metric(shard, 'ringtail_shard_flush_duration_ms_count');
    const flushMs = await metric(shard, 'ringtail_shard_flush_duration_ms_sum');
    console.log(`shard flushes: ${flushes}, mean flush latency ${(flushMs / flushes).toFixed(1)} ms`);
  });
});
