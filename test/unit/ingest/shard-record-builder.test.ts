import { describe, expect, it } from 'vitest';
import { decodeShardRecord, encodeShardRecord } from '@ringtail/model';
import { ShardRecordBuilder } from '@ringtail/ingest';

const sample = (v: string) => ({ name: 'm', labels: { v }, value: 1, timestamp: 1 });

describe('ShardRecordBuilder', () => {
  it('keeps every encoded record within maxBytes, even with long label values', () => {
    const maxBytes = 20_000;
    const builder = new ShardRecordBuilder(0, { maxSamples: 100_000, maxBytes });
    for (let i = 0; i < 200; i++) {
      const long = `${i}-${'x"\\'.repeat(300)}`;
      builder.add(`m{v="${long}"}`, i.toString(16).padStart(16, '0'), sample(long), i);
    }
    const records = builder.finish();
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect(encodeShardRecord(r).length).toBeLessThanOrEqual(maxBytes * 1.5);
    expect(records.flatMap((r) => r.samples.map((s) => s[3]))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('never splits the samples of one raw message across records', () => {
    // The shard advances its watermark per record: a message cut in two would lose its second half.
    const builder = new ShardRecordBuilder(0, { maxSamples: 7, maxBytes: 1 << 20 });
    const perMessage = [3, 5, 1, 12, 7, 2, 9];
    perMessage.forEach((n, offset) => {
      for (let i = 0; i < n; i++) builder.add(`m{v="${i}"}`, i.toString(16).padStart(16, '0'), sample(String(i)), offset);
    });
    const records = builder.finish();
    expect(records.length).toBeGreaterThan(1);
    const recordOf = new Map<number, number>();
    records.forEach((r, ri) => {
      for (const [, , , offset] of r.samples) {
        expect(recordOf.get(offset) ?? ri, `offset ${offset} in one record`).toBe(ri);
        recordOf.set(offset, ri);
      }
    });
    expect(records.reduce((n, r) => n + r.samples.length, 0)).toBe(perMessage.reduce((a, b) => a + b, 0));
  });

  it('builds records the shard side decodes', () => {
    const builder = new ShardRecordBuilder(5, { maxSamples: 10, maxBytes: 1 << 20 });
    builder.add('m{v="a"}', '00000000000000aa', sample('a'), 9);
    const [record] = builder.finish();
    expect(decodeShardRecord(encodeShardRecord(record!))).toEqual({
      v: 2,
      rp: 5,
      series: [{ id: '00000000000000aa', name: 'm', labels: { v: 'a' } }],
      samples: [[0, 1, 1, 9]],
    });
  });

  it('returns nothing when no sample was added and is empty after finish', () => {
    const builder = new ShardRecordBuilder(0, { maxSamples: 10, maxBytes: 1000 });
    expect(builder.finish()).toEqual([]);
    builder.add('k', 'id', sample('a'), 1);
    expect(builder.finish()).toHaveLength(1);
    expect(builder.finish()).toEqual([]);
  });
});
