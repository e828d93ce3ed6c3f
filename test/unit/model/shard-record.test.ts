import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHARD_RECORD_VERSION, ShardRecordCorruptError, ShardRecordDecoder, decodeShardRecord, encodeShardRecord, type ShardRecord, type ShardSample } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';
import { labels, metricName } from './arbitraries.ts';

const seed = testSeed('shard-record');

const series = fc.record({ id: fc.stringMatching(/^[0-9a-f]{16}$/), name: metricName, labels });

const record: fc.Arbitrary<ShardRecord> = fc
  .record({
    rp: fc.nat(),
    rt: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
    series: fc.uniqueArray(series, { selector: (s) => s.id, minLength: 1, maxLength: 10 }),
    samples: fc.array(
      fc.tuple(
        fc.nat(),
        fc.double(),
        fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.double()),
        fc.integer({ min: 0, max: 2 ** 51 }),
        fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
      ),
      { maxLength: 40 },
    ),
  })
  .map(({ rp, rt, series: s, samples }) => {
    const out: ShardSample[] = samples.map(([i, v, t, o, mask]) => (mask === undefined ? [i % s.length, v, t, o] : [i % s.length, v, t, o, mask]));
    return rt === undefined ? { v: SHARD_RECORD_VERSION, rp, series: s, samples: out } : { v: SHARD_RECORD_VERSION, rp, rt, series: s, samples: out };
  });

/** Decodes `bytes`, or says it threw ShardRecordCorruptError; anything else thrown fails the test. */
function decodeOrCorrupt(decoder: ShardRecordDecoder, bytes: Uint8Array): ShardRecord | 'corrupt' {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    if (err instanceof ShardRecordCorruptError) return 'corrupt';
    throw err;
  }
}

describe('shard record wire form', () => {
  it('decodes every record to exactly what was encoded (NaN, -0 and infinities included)', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeShardRecord(encodeShardRecord(r))).toEqual(r);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('keeps a timestamp of -0, which a delta cannot carry (found by the property above, seed 847377673)', () => {
    const r: ShardRecord = { v: 2, rp: 0, series: [{ id: '0000a0a0aa0a0000', name: 'a', labels: {} }], samples: [[0, 0, -0, 0]] };
    expect(Object.is(decodeShardRecord(encodeShardRecord(r)).samples[0]![2], -0)).toBe(true);
  });

  it('gives the same records with the series cache warm, record after record', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), (records, cacheSize) => {
        const decoder = new ShardRecordDecoder(cacheSize);
        for (const r of records) {
          const bytes = encodeShardRecord(r);
          expect(decoder.decode(bytes)).toEqual(r);
          // Again, now that its series are cached (a replay reads the same record twice).
          expect(decoder.decode(bytes)).toEqual(r);
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it('answers a truncated, altered or extended record with ShardRecordCorruptError or a valid record, never another error', () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(record, fc.array(damage, { minLength: 1, maxLength: 4 }), (r, damages) => {
        let bytes = Uint8Array.from(encodeShardRecord(r));
        for (const d of damages) {
          if (d.kind === 'truncate') bytes = bytes.subarray(0, d.at % (bytes.length + 1));
          else if (d.kind === 'append') bytes = Uint8Array.from([...bytes, ...d.bytes]);
          else if (bytes.length > 0) bytes[d.at % bytes.length] = d.byte;
        }
        const decoded = decodeOrCorrupt(new ShardRecordDecoder(0), bytes);
        if (decoded === 'corrupt') return;
        // What decodes is a record the aggregator can take: every index resolves, offsets are safe integers.
        for (const [index, , , rawOffset] of decoded.samples) {
          expect(decoded.series[index]).toBeDefined();
          expect(Number.isSafeInteger(rawOffset) && rawOffset >= 0).toBe(true);
        }
        for (const s of decoded.series) expect(s.id).toMatch(/^[0-9a-f]{16}$/);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('rejects random bytes with ShardRecordCorruptError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeOrCorrupt(new ShardRecordDecoder(0), bytes);
      }),
      { seed, numRuns: 1000 },
    );
    expect(() => decodeShardRecord(new Uint8Array(0))).toThrow(ShardRecordCorruptError);
    expect(() => decodeShardRecord(Buffer.from([9, 0]))).toThrow(/unknown version byte 9/);
    expect(() => decodeShardRecord(Buffer.from('{"v":1}'))).toThrow(ShardRecordCorruptError);
  });

  it('still reads the JSON form written before the binary one', () => {
    const r: ShardRecord = { v: 2, rp: 3, rt: 1_700_000_000_000, series: [{ id: '00000000000000a1', name: 'up', labels: { job: 'x' } }], samples: [[0, 1.5, 1_700_000_000_000, 7]] };
    expect(decodeShardRecord(Buffer.from(JSON.stringify(r)))).toEqual(r);
  });

  it('takes under half the JSON bytes for the samples of a series', () => {
    const s = [{ id: '00000000000000a1', name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle', instance: 'host-1:9100' } }];
    const samples: ShardSample[] = Array.from({ length: 1000 }, (_, i) => [0, 1234.5678 + i, 1_700_000_000_000 + i * 15_000, 100_000 + i]);
    const r: ShardRecord = { v: 2, rp: 0, series: s, samples };
    expect(encodeShardRecord(r).length).toBeLessThan(Buffer.byteLength(JSON.stringify(r)) / 2);
  });
});
