import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHARD_RECORD_VERSION, decodeShardRecord, encodeShardRecord, type ShardRecord, type ShardSeries } from '@ringtail/model';
import { ShardRecordEncoder } from '../../../services/ingest/src/shard-record-encoder.ts';
import { testSeed } from '../../support/test-seed.ts';
import { labels, metricName } from '../model/arbitraries.ts';

const seed = testSeed('shard-record-encoder');

// A pool of series, each id with one name and label set, as ids are downstream.
const seriesPool = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^[0-9a-f]{16}$/), name: metricName, labels }), { selector: (s) => s.id, minLength: 1, maxLength: 12 });

const records = seriesPool.chain((pool) =>
  fc.array(
    fc.record({
      rp: fc.nat(64),
      series: fc.shuffledSubarray(pool, { minLength: 1 }),
      values: fc.array(fc.tuple(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.nat()), { maxLength: 20 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
);

function toRecord(r: { rp: number; series: ShardSeries[]; values: [number, number, number, number][] }): ShardRecord {
  const samples = r.values.map(([i, v, t, o]) => [i % r.series.length, v, t, o] as const);
  return { v: SHARD_RECORD_VERSION, rp: r.rp, series: r.series, samples };
}

describe('ShardRecordEncoder', () => {
  it('gives the same bytes as encodeShardRecord, record after record, with its series cache warm or cold', () => {
    fc.assert(
      fc.property(records, fc.integer({ min: 1, max: 8 }), (raw, cacheSize) => {
        const encoder = new ShardRecordEncoder(cacheSize);
        for (const r of raw.map(toRecord)) {
          const bytes = encoder.encode(r);
          expect(bytes.equals(encodeShardRecord(r))).toBe(true);
          expect(decodeShardRecord(bytes)).toEqual(r);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('keeps -0, subnormals and large numbers exactly, as encodeShardRecord does', () => {
    const r: ShardRecord = { v: 2, rp: 0, series: [{ id: '00000000000000ff', name: 'up', labels: { a: 'x"\n\\' } }], samples: [[0, -0, 0, 0], [0, 1e21, 2 ** 53 - 1, 5], [0, 5e-324, 1, 6]] };
    const bytes = new ShardRecordEncoder().encode(r);
    expect(bytes.equals(encodeShardRecord(r))).toBe(true);
    const back = decodeShardRecord(bytes);
    expect(Object.is(back.samples[0]![1], -0)).toBe(true);
    expect(back).toEqual(r);
  });
});
