import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import {
  CHANGE_FIELDS,
  DEFAULT_RESOLUTIONS,
  addSample,
  addToLimbs,
  decodeWindowHash,
  limbsToScaled,
  redisKeys,
  scaledToNumber,
  windowOfSample,
  type Limbs,
  type WindowAggregate,
} from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { FlushFencedError } from '../../../services/shard/src/errors.ts';
import { RedisWindowSink } from '../../../services/shard/src/redis-window-sink.ts';
import type { PartitionBatch, WindowDelta } from '../../../services/shard/src/flush-batch.ts';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { prng } from '@ringtail/loadgen';
import { testSeed } from '../../support/test-seed.ts';
import { limbStressValue } from '../../support/limb-values.ts';

const SEED = testSeed('shard/flush-script');
const RES = DEFAULT_RESOLUTIONS[0]!;
const START_MS = Math.floor(Date.now() / RES.stepMs) * RES.stepMs;
const TWO32 = 2 ** 32;

interface Reference {
  count: number;
  sumLimbs: Limbs;
  values: number[];
}

describe('flush-1.lua', () => {
  const namespace = randomNamespace('flush');
  const keys = redisKeys(namespace);
  let redis: Redis;
  let sink: RedisWindowSink;
  let watermark = -1;

  /** A batch of partition 0 moving raw partition 0's watermark from `expected` to `expected + 1`. */
  const batchOf = (windows: WindowDelta[], expected: number): PartitionBatch => ({
    shardPartition: 0,
    watermarks: [{ rawPartition: 0, expected, next: expected + 1 }],
    windows,
    newSeries: [],
    sampleCount: 0,
    firstKafkaOffset: '0',
    commitKafkaOffset: '1',
    closedThrough: [],
    late: [],
  });
  /** Applies `windows` as one partition batch of partition 0, advancing raw partition 0 by one. */
  const flush = async (windows: WindowDelta[]) => {
    expect(await sink.apply(batchOf(windows, watermark))).toBe('applied');
    watermark++;
  };
  const storedLimbs = async (seriesId: string) => {
    const fields = await redis.hgetall(keys.window(seriesId, RES.name, START_MS));
    return Object.entries(fields)
      .filter(([name]) => /^s\d+$/.test(name))
      .map(([name, v]) => [Number(name.slice(1)), Number(v)] as const)
      .sort((a, b) => a[0] - b[0]);
  };

  beforeAll(() => {
    console.log(`flush script namespace ${namespace}`);
    const stack = stackEndpoints();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'flush-test');
    sink = new RedisWindowSink(redis, { keys, minReplicas: 0, waitTimeoutMs: 1000 });
  });

  afterAll(async () => {
    const stale = await redis.keys(keys.scanPattern);
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
  });

  it('keeps every window bit-exact and its limbs carry-normalized over many flushes', async () => {
    const random = prng(SEED);
    const SERIES = 24;
    const FLUSHES = 40;
    const refs = Array.from({ length: SERIES }, (): Reference => ({ count: 0, sumLimbs: new Map(), values: [] }));
    for (let f = 0; f < FLUSHES; f++) {
      const windows: WindowDelta[] = [];
      for (let s = 0; s < SERIES; s++) {
        if (random() < 0.3) continue;
        let w: WindowAggregate | undefined;
        for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
          const v = limbStressValue(random);
          const ts = START_MS + Math.floor(random() * RES.stepMs);
          if (w === undefined) w = windowOfSample(v, ts);
          else addSample(w, v, ts);
          refs[s]!.values.push(v === 0 ? 0 : v);
          refs[s]!.count++;
          addToLimbs(refs[s]!.sumLimbs, v);
        }
        windows.push({ seriesId: `s${s}`, resolution: RES, startMs: START_MS, window: w! });
      }
      await flush(windows);
    }
    for (let s = 0; s < SERIES; s++) {
      const ref = refs[s]!;
      const reading = decodeWindowHash(await redis.hgetall(keys.window(`s${s}`, RES.name, START_MS)));
      if (ref.count === 0) {
        expect(reading).toBeNull();
        continue;
      }
      expect(reading!.count).toBe(ref.count);
      expect(reading!.sumScaled).toBe(limbsToScaled(ref.sumLimbs));
      expect(reading!.min).toBe(Math.min(...ref.values));
      expect(reading!.max).toBe(Math.max(...ref.values));
      const limbs = await storedLimbs(`s${s}`);
      for (const [, v] of limbs.slice(0, -1)) expect(v >= 0 && v < TWO32).toBe(true);
      expect(Math.abs(limbs.at(-1)![1])).toBeLessThan(TWO32);
    }
  });

  it('sets the expiry once, when the window is created', async () => {
    const key = keys.window('ttl', RES.name, START_MS);
    await flush([{ seriesId: 'ttl', resolution: RES, startMs: START_MS, window: windowOfSample(1, START_MS) }]);
    const expireAtMs = START_MS + RES.stepMs + RES.retentionMs;
    expect(await redis.pexpiretime(key)).toBe(expireAtMs);
    await flush([{ seriesId: 'ttl', resolution: RES, startMs: START_MS, window: windowOfSample(2, START_MS) }]);
    expect(await redis.pexpiretime(key)).toBe(expireAtMs);
  });

  it('adds exactly to windows whose limbs HINCRBY summed past 2^53', async () => {
    const key = keys.window('legacy', RES.name, START_MS);
    const bigLimb = 2n ** 60n + 12345n;
    const smallLimb = -(2n ** 40n) * 5n;
    await redis.hset(key, { c: '7', min: '-1', max: '3', ft: String(START_MS), f: '1', lt: String(START_MS), l: '1', s33: bigLimb.toString(), s34: smallLimb.toString() });
    const w = windowOfSample(0.1, START_MS + 1);
    addSample(w, -2.5e10, START_MS + 2);
    await flush([{ seriesId: 'legacy', resolution: RES, startMs: START_MS, window: w }]);
    const reading = decodeWindowHash(await redis.hgetall(key))!;
    const before = (bigLimb << 1056n) + (smallLimb << 1088n);
    expect(reading.count).toBe(9);
    expect(reading.sumScaled).toBe(before + limbsToScaled(w.sumLimbs));
    expect(reading.min).toBe(-2.5e10);
    expect(scaledToNumber(reading.sumScaled)).toBe(scaledToNumber(before + limbsToScaled(w.sumLimbs)));
  });

  it('announces an applied flush once in the slot change stream, and a re-sent or fenced one never', async () => {
    const stream = keys.changes(0);
    const delta = (seriesId: string, startMs: number): WindowDelta => ({ seriesId, resolution: RES, startMs, window: windowOfSample(1, startMs) });
    const windows = [delta('ann-a', START_MS), delta('ann-b', START_MS), delta('ann-a', START_MS - RES.stepMs)];
    const before = await redis.xlen(stream);
    const expected = watermark;
    await flush(windows);
    expect(await sink.apply(batchOf(windows, expected))).toBe('already-applied');
    await expect(sink.apply(batchOf(windows, expected + 5))).rejects.toBeInstanceOf(FlushFencedError);
    expect(await redis.xlen(stream)).toBe(before + 1);
    const [latest] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    expect(latest?.[1]).toEqual([CHANGE_FIELDS.series, 'ann-a,ann-b', CHANGE_FIELDS.windows, `${RES.name}:${START_MS},${RES.name}:${START_MS - RES.stepMs}`]);
  });

  it('keeps the coarse resolutions\' watermarks beside the finest\'s, reading a missing one as the finest\'s', async () => {
    const slot = 1;
    const wmKey = keys.watermarks(slot);
    const batch = (watermarks: PartitionBatch['watermarks']): PartitionBatch => ({ ...batchOf([], 0), shardPartition: slot, watermarks });
    // A slot written before the coarse resolutions had watermarks of their own: every resolution holds raw offset 7.
    await redis.hset(wmKey, '3', '7');
    // A coarse watermark absent reads as the finest's: expecting anything else is fenced.
    await expect(sink.apply(batch([{ rawPartition: 3, coarse: true, expected: 6, next: 9 }]))).rejects.toBeInstanceOf(FlushFencedError);
    // The finest moves alone: its old value stays the coarse watermark.
    expect(await sink.apply(batch([{ rawPartition: 3, expected: 7, next: 9 }]))).toBe('applied');
    expect(await redis.hgetall(wmKey)).toMatchObject({ '3': '9', c3: '7' });
    // Re-sent: already applied, and the coarse watermark is left alone.
    expect(await sink.apply(batch([{ rawPartition: 3, expected: 7, next: 9 }]))).toBe('already-applied');
    expect(await redis.hget(wmKey, 'c3')).toBe('7');
    // The coarse resolutions catch up on their own; the finest moving again keeps them.
    expect(await sink.apply(batch([{ rawPartition: 3, coarse: true, expected: 7, next: 9 }]))).toBe('applied');
    expect(await sink.apply(batch([{ rawPartition: 3, expected: 9, next: 12 }]))).toBe('applied');
    await expect(sink.apply(batch([{ rawPartition: 3, coarse: true, expected: 12, next: 13 }]))).rejects.toBeInstanceOf(FlushFencedError);
    expect(await redis.hgetall(wmKey)).toMatchObject({ '3': '12', c3: '9' });
    // What a new owner reads: each class's own.
    const stored = await sink.readSlot(slot);
    expect(stored.watermarks).toEqual(new Map([[3, 12]]));
    expect(stored.coarseWatermarks).toEqual(new Map([[3, 9]]));
    // A fresh raw partition: the first advance of the finest records the coarse one as none applied.
    expect(await sink.apply(batch([{ rawPartition: 4, expected: -1, next: 0 }]))).toBe('applied');
    expect((await sink.readSlot(slot)).coarseWatermarks).toEqual(new Map([[3, 9], [4, -1]]));
  });
});
