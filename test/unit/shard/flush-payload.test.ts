import { describe, expect, it } from 'vitest';
import { CHANGE_STREAM_MAX_LEN, DEFAULT_RESOLUTIONS, addSample, redisKeys, windowOfSample } from '@ringtail/model';
import { flushPayload, indexWrites, mergedPlan } from '../../../services/shard/src/flush-payload.ts';
import { writeOf, type KnownWindow } from '../../../services/shard/src/known-windows.ts';

describe('flushPayload', () => {
  it('writes doubles as exact decimal strings, counts and limbs as integers, and names keys from the key module', () => {
    const keys = redisKeys('ns1', 8);
    const w = windowOfSample(0.1, 1_000);
    addSample(w, -3, 2_000);
    const tenSeconds = DEFAULT_RESOLUTIONS[0]!;
    const batch = {
      shardPartition: 2,
      watermarks: [{ rawPartition: 5, expected: -1, next: 42 }],
      windows: [{ seriesId: '00000000000000ab', resolution: tenSeconds, startMs: 0, window: w }],
      newSeries: [{ id: '00000000000000ab', name: 'cpu', labels: { host: 'a' }, indexedUntilMs: 7_000_000 }],
      sampleCount: 2,
      firstKafkaOffset: '0',
      commitKafkaOffset: '1',
      closedThrough: [
        { resolution: '10s', startMs: -10_000 },
        { resolution: '1m', startMs: null },
      ],
      clockMs: 5_000,
      late: [],
    };
    const p = JSON.parse(flushPayload(keys, batch)) as { ko: string; wm: string[][]; w: (string | number)[][]; ct: string[][]; hk: Record<string, string>; ch: string; cs: string; cw: string; cm: number; t: string };
    expect(p.wm).toEqual([['5', '-1', '42']]);
    const [key, expireAt, count, min, max, ft, f, lt, l, ...limbs] = p.w[0]!;
    // The window carries its slot's hash tag: 0xab % 8 = 3.
    expect(key).toBe('{rt:ns1:3}:w:10s:00000000000000ab:0');
    expect(Number(expireAt)).toBe(10_000 + tenSeconds.retentionMs);
    expect([count, min, max, ft, f, lt, l]).toEqual([2, '-3', '0.1', '1000', '0.1', '2000', '-3']);
    expect(limbs.length % 2).toBe(0);
    const sent = new Map<number, number>();
    for (let i = 0; i < limbs.length; i += 2) sent.set(limbs[i] as number, limbs[i + 1] as number);
    expect(sent).toEqual(new Map([...w.sumLimbs].filter(([, amount]) => amount !== 0)));
    expect(Object.keys(p)).toEqual(['ko', 'wm', 'w', 'a', 'ct', 'hk', 'ch', 'cs', 'cw', 'cm', 't']);
    expect([p.ch, p.cm]).toEqual(['{rt:ns1:2}:ch', CHANGE_STREAM_MAX_LEN]);
    expect(p.ct).toEqual([
      ['10s', '-10000'],
      ['1m', ''],
    ]);
    expect(p.hk).toEqual({ '10s': '{rt:ns1:2}:hot:10s', '1m': '{rt:ns1:2}:hot:1m' });
    expect(p.t).toBe('5000');
    expect([p.cs, p.cw]).toEqual(['00000000000000ab', '10s:0']);
    expect(p.ko).toBe('1');
    const index = indexWrites(keys, batch);
    // Expiry first and the metric name last: the order the index janitor relies on (see IndexWrites).
    expect(index.expiry).toEqual(['{rt:ns1}:series-expiry', 'GT', '7000000', '00000000000000ab']);
    expect(index.sadd).toEqual([
      ['{rt:ns1}:m:cpu', '00000000000000ab'],
      ['{rt:ns1}:l:host=a', '00000000000000ab'],
      ['{rt:ns1}:metrics', 'cpu'],
    ]);
    expect(index.hset).toEqual([['{rt:ns1}:s:00000000000000ab', 'name', 'cpu', 'labels', '{"host":"a"}']]);
  });

  it("lists the change entry's series and windows each once, in the order of the batch's windows", () => {
    const keys = redisKeys('ns1', 8);
    const [tenSeconds, oneMinute] = DEFAULT_RESOLUTIONS;
    const window = () => windowOfSample(1, 1_000);
    const batch = {
      shardPartition: 3,
      watermarks: [{ rawPartition: 0, expected: -1, next: 1 }],
      windows: [
        { seriesId: '00000000000000b3', resolution: tenSeconds!, startMs: 0, window: window() },
        { seriesId: '00000000000000b3', resolution: oneMinute!, startMs: 0, window: window() },
        { seriesId: '00000000000000c3', resolution: tenSeconds!, startMs: 0, window: window() },
        { seriesId: '00000000000000c3', resolution: tenSeconds!, startMs: 10_000, window: window() },
      ],
      newSeries: [],
      sampleCount: 4,
      firstKafkaOffset: '0',
      commitKafkaOffset: '1',
      closedThrough: [],
      late: [],
    };
    const p = JSON.parse(flushPayload(keys, batch)) as { cs: string; cw: string };
    expect(p.cs).toBe('00000000000000b3,00000000000000c3');
    expect(p.cw).toBe('10s:0,1m:0,10s:10000');
  });

  it('sends a known window as its changed fields with the watermark hash it was known at, and announces it like a delta', () => {
    const keys = redisKeys('ns1', 8);
    const tenSeconds = DEFAULT_RESOLUTIONS[0]!;
    const stored: KnownWindow = { count: 3, min: -1, max: 5, firstTsMs: 100, first: 2, lastTsMs: 900, last: 5, version: 7, limbs: [34, 4_294_967_000, 35, 1] };
    const w = windowOfSample(7, 950);
    addSample(w, 1, 960);
    const delta = { seriesId: '00000000000000ab', resolution: tenSeconds, startMs: 0, window: w };
    const batch = {
      shardPartition: 3,
      watermarks: [{ rawPartition: 0, expected: 4, next: 6 }],
      windows: [delta],
      newSeries: [],
      sampleCount: 2,
      firstKafkaOffset: '0',
      commitKafkaOffset: '1',
      closedThrough: [],
      late: [],
    };
    const known = writeOf(mergedPlan(keys, batch).merged[0]!.key, stored, delta);
    const p = JSON.parse(flushPayload(keys, batch, { merged: [], known: [known], watermarks: ['0', '4', 'c0', '2'] })) as { w: unknown[]; a: string[][]; b: string[]; cs: string; cw: string };
    expect(p.w).toEqual([]);
    // Count, max and last changed; min and first did not.
    const [key, version, ...fields] = p.a[0]!;
    expect([key, version]).toEqual(['{rt:ns1:3}:w:10s:00000000000000ab:0', '7']);
    expect(fields.slice(0, 8)).toEqual(['c', '5', 'v', '8', 'max', '7', 'lt', '960']);
    expect(fields).toContain('l');
    expect(known.next).toMatchObject({ count: 5, min: -1, max: 7, first: 2, lastTsMs: 960, last: 1, version: 8 });
    expect(p.b).toEqual(['0', '4', 'c0', '2']);
    expect([p.cs, p.cw]).toEqual(['00000000000000ab', '10s:0']);
  });
});
