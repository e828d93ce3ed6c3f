import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DEFAULT_RESOLUTIONS, addSample, decodeWindowHash, redisKeys, windowOfSample, type RedisKeys, type WindowAggregate } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { prng } from '@ringtail/loadgen';
import { RedisWindowSink } from '../../../services/shard/src/redis-window-sink.ts';
import type { PartitionBatch, WindowDelta } from '../../../services/shard/src/flush-batch.ts';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { testSeed } from '../../support/test-seed.ts';
import { limbStressValue } from '../../support/limb-values.ts';

const SEED = testSeed('shard/known-windows');
const [FINE, COARSE] = [DEFAULT_RESOLUTIONS[0]!, DEFAULT_RESOLUTIONS[1]!];
const NOW_MS = Math.floor(Date.now() / COARSE.stepMs) * COARSE.stepMs;

/** The `k`-th series id whose windows live in `slot` (of the default 64). */
const idIn = (slot: number, k = 0) => (k * 64 + slot).toString(16).padStart(16, '0');

/** One sample of `value` in the finest window at NOW_MS of the series `idIn(slot)`. */
const oneWindow = (slot: number, value: number): WindowDelta[] => [
  { seriesId: idIn(slot), resolution: FINE, startMs: NOW_MS, window: windowOfSample(value, NOW_MS + 1) },
];

/** One slot's batch moving `rawPartition`'s watermark from `expected` to `expected + 1`. */
function batchOf(slot: number, rawPartition: number, expected: number, windows: WindowDelta[]): PartitionBatch {
  return {
    shardPartition: slot,
    watermarks: [{ rawPartition, expected, next: expected + 1 }],
    windows,
    newSeries: [],
    sampleCount: 0,
    firstKafkaOffset: '0',
    commitKafkaOffset: String(expected + 1),
    closedThrough: [],
    late: [],
  };
}

/** Random deltas over a few series, each in a few windows of two resolutions around NOW_MS. */
function randomWindows(random: () => number, series: number): WindowDelta[] {
  const out: WindowDelta[] = [];
  for (let s = 0; s < series; s++) {
    for (const resolution of [FINE, COARSE]) {
      if (random() < 0.35) continue;
      const startMs = NOW_MS + resolution.stepMs * Math.floor(random() * 3);
      let w: WindowAggregate | undefined;
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        const v = limbStressValue(random, true);
        const ts = startMs + Math.floor(random() * resolution.stepMs);
        if (w === undefined) w = windowOfSample(v, ts);
        else addSample(w, v, ts);
      }
      out.push({ seriesId: idIn(0, s), resolution, startMs, window: w! });
    }
  }
  return out;
}

describe('known windows: flushes that write what the worker knows outright', () => {
  const namespaceKnown = randomNamespace('known');
  const namespaceMerged = randomNamespace('merged');
  const [keysKnown, keysMerged] = [redisKeys(namespaceKnown), redisKeys(namespaceMerged)];
  let redis: Redis;

  /** A sink whose counters (what the shard exports as metrics) land in its `knownStats`. */
  const sinkOf = (keys: RedisKeys) => {
    const knownStats = { written: 0, merged: 0, refused: 0 };
    const counters = {
      windowsWrittenKnown: { inc: (n = 1) => void (knownStats.written += n) },
      windowsMerged: { inc: (n = 1) => void (knownStats.merged += n) },
      flushesNotAsKnown: { inc: (n = 1) => void (knownStats.refused += n) },
    };
    return Object.assign(new RedisWindowSink(redis, { keys, minReplicas: 0, waitTimeoutMs: 1000, counters }), { knownStats });
  };
  const windowKeys = async (keys: RedisKeys) => (await redis.keys(`${keys.scanPattern}`)).filter((k) => k.includes(':w:'));

  beforeAll(() => {
    const stack = stackEndpoints();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'known-windows-test');
  });

  afterAll(async () => {
    for (const keys of [keysKnown, keysMerged]) {
      const stale = await redis.keys(keys.scanPattern);
      if (stale.length > 0) await redis.del(...stale);
    }
    redis.disconnect();
  });

  it('leaves every window field for field as the script\'s own merge does', async () => {
    const random = prng(SEED);
    const known = sinkOf(keysKnown);
    // Forgets every slot before each flush: every delta is merged by the script.
    const merged = sinkOf(keysMerged);
    for (let f = 0; f < 60; f++) {
      const windows = randomWindows(random, 12);
      expect(await known.apply(batchOf(0, 0, f - 1, windows))).toBe('applied');
      merged.forgetSlot(0);
      expect(await merged.apply(batchOf(0, 0, f - 1, windows))).toBe('applied');
    }
    expect(known.knownStats.written).toBeGreaterThan(known.knownStats.merged);
    expect(merged.knownStats.written).toBe(0);
    const keys = await windowKeys(keysKnown);
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      const twin = key.replace(namespaceKnown, namespaceMerged);
      expect(await redis.hgetall(key), key).toEqual(await redis.hgetall(twin));
    }
  });

  it('merges in Redis instead when another writer touched the slot since', async () => {
    const slot = 1;
    const mine = sinkOf(keysKnown);
    const other = sinkOf(keysKnown);
    const window = (value: number) => oneWindow(slot, value);
    expect(await mine.apply(batchOf(slot, 0, -1, window(1)))).toBe('applied');
    expect(await mine.apply(batchOf(slot, 0, 0, window(2)))).toBe('applied');
    expect(mine.knownStats).toEqual({ written: 1, merged: 1, refused: 0 });
    // Another owner (a zombie, say) writes the same window for another raw partition.
    expect(await other.apply(batchOf(slot, 5, -1, window(4)))).toBe('applied');
    // What `mine` knows is stale: the script refuses the outright write, and the delta is merged.
    expect(await mine.apply(batchOf(slot, 0, 1, window(8)))).toBe('applied');
    expect(mine.knownStats).toEqual({ written: 1, merged: 2, refused: 1 });
    const reading = decodeWindowHash(await redis.hgetall(keysKnown.window(idIn(slot), FINE.name, NOW_MS)))!;
    expect(reading.count).toBe(4);
    expect(reading.max).toBe(8);
    // Known again from that merge's reply.
    expect(await mine.apply(batchOf(slot, 0, 2, window(16)))).toBe('applied');
    expect(mine.knownStats.written).toBe(2);
    expect(decodeWindowHash(await redis.hgetall(keysKnown.window(idIn(slot), FINE.name, NOW_MS)))!.count).toBe(5);
  });

  it('merges in Redis instead when a known window is gone, and is not misled by a resume-offset write', async () => {
    const slot = 2;
    const sink = sinkOf(keysKnown);
    const key = keysKnown.window(idIn(slot), FINE.name, NOW_MS);
    const window = (value: number) => oneWindow(slot, value);
    expect(await sink.apply(batchOf(slot, 0, -1, window(1)))).toBe('applied');
    // A batch of duplicates only moves `k`, which says nothing about windows.
    expect(await sink.apply({ ...batchOf(slot, 0, 0, []), watermarks: [], commitKafkaOffset: '40' })).toBe('applied');
    expect(await sink.apply(batchOf(slot, 0, 0, window(2)))).toBe('applied');
    expect(sink.knownStats).toEqual({ written: 1, merged: 1, refused: 0 });
    // Expired, say: an outright write would leave a window of some fields only, without its expiry.
    await redis.del(key);
    expect(await sink.apply(batchOf(slot, 0, 1, window(3)))).toBe('applied');
    expect(sink.knownStats.refused).toBe(1);
    const reading = decodeWindowHash(await redis.hgetall(key))!;
    expect(reading.count).toBe(1);
    expect(reading.first).toBe(3);
    expect(await redis.pexpiretime(key)).toBeGreaterThan(0);
  });

  it('forgets a slot whose script it saw no reply of', async () => {
    const slot = 3;
    const sink = sinkOf(keysKnown);
    const windows: WindowDelta[] = [{ seriesId: idIn(slot), resolution: FINE, startMs: NOW_MS, window: windowOfSample(1, NOW_MS) }];
    expect(await sink.apply(batchOf(slot, 0, -1, windows))).toBe('applied');
    expect(sink.known.size(slot)).toBe(1);
    // The same batch again, as ioredis re-sends a script after a reconnect: already applied.
    expect(await sink.apply(batchOf(slot, 0, -1, windows))).toBe('already-applied');
    expect(sink.known.size(slot)).toBe(0);
    expect(decodeWindowHash(await redis.hgetall(keysKnown.window(idIn(slot), FINE.name, NOW_MS)))!.count).toBe(1);
  });

  it('merges in Redis instead when another partition\'s script wrote the window, which the slot\'s watermarks cannot see', async () => {
    const slot = 4;
    const sink = sinkOf(keysKnown);
    const key = keysKnown.window(idIn(slot), FINE.name, NOW_MS);
    const window = (value: number) => oneWindow(slot, value);
    expect(await sink.apply(batchOf(slot, 0, -1, window(1)))).toBe('applied');
    // The series sent through partition 5 (a shard topic written by hand): slot 4's watermarks do not move.
    expect(await sink.apply(batchOf(5, 0, -1, window(2)))).toBe('applied');
    expect(await sink.apply(batchOf(5, 0, 0, window(4)))).toBe('applied');
    expect(sink.knownStats).toEqual({ written: 0, merged: 3, refused: 0 });
    // Slot 4 knows the window as after its own write: the version says it was written since.
    expect(await sink.apply(batchOf(slot, 0, 0, window(8)))).toBe('applied');
    expect(sink.knownStats).toEqual({ written: 0, merged: 4, refused: 1 });
    expect(decodeWindowHash(await redis.hgetall(key))!.count).toBe(4);
    expect(await redis.hget(key, 'v')).toBe('4');
  });
});
