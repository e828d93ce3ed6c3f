import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, addSample, redisKeys, windowOfSample } from '@ringtail/model';
import { flushPayload } from '../../../services/shard/src/flush-payload.ts';

describe('flushPayload', () => {
  it('writes doubles as exact decimal strings, counts and limbs as integers, and names keys from the key module', () => {
    const keys = redisKeys('ns1');
    const w = windowOfSample(0.1, 1_000);
    addSample(w, -3, 2_000);
    const tenSeconds = DEFAULT_RESOLUTIONS[0]!;
    const json = flushPayload(keys, {
      shardPartition: 2,
      watermarks: [{ rawPartition: 5, expected: -1, next: 42 }],
      windows: [{ seriesId: 'abc', resolution: tenSeconds, startMs: 0, window: w }],
      newSeries: [{ id: 'abc', name: 'cpu', labels: { host: 'a' } }],
      sampleCount: 2,
      firstKafkaOffset: '0',
      commitKafkaOffset: '1',
    });
    const p = JSON.parse(json) as { wm: string[][]; w: (string | number)[][]; sadd: string[][]; hset: string[][] };
    expect(p.wm).toEqual([['5', '-1', '42']]);
    const [key, expireAt, count, min, max, ft, f, lt, l, ...limbs] = p.w[0]!;
    expect(key).toBe('{rt:ns1}:w:10s:abc:0');
    expect(Number(expireAt)).toBe(10_000 + tenSeconds.retentionMs);
    expect([count, min, max, ft, f, lt, l]).toEqual([2, '-3', '0.1', '1000', '0.1', '2000', '-3']);
    expect(limbs.length % 2).toBe(0);
    const sent = new Map<number, number>();
    for (let i = 0; i < limbs.length; i += 2) sent.set(limbs[i] as number, limbs[i + 1] as number);
    expect(sent).toEqual(new Map([...w.sumLimbs].filter(([, amount]) => amount !== 0)));
    expect(p.sadd).toEqual([
      ['{rt:ns1}:metrics', 'cpu'],
      ['{rt:ns1}:m:cpu', 'abc'],
      ['{rt:ns1}:l:host=a', 'abc'],
    ]);
    expect(p.hset).toEqual([['{rt:ns1}:s:abc', 'name', 'cpu', 'labels', '{"host":"a"}']]);
  });
});
