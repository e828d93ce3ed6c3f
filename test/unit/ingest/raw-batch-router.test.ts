import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalSeriesKey } from '@ringtail/hashring';
import { DEFAULT_SAMPLE_LIMITS, SampleValidator } from '@ringtail/model';
import { RawBatchRouter } from '@ringtail/ingest';
import { testSeed } from '../../support/test-seed.ts';
import { validSample } from '../model/arbitraries.ts';
import { NO_RECORD_TIME, fakeRouter, routerDeps } from './router-fixtures.ts';

const seed = testSeed('raw-batch-router');
const deps = routerDeps;

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const sample = (host: string, value: number) => ({ name: 'up', labels: { host }, value, timestamp: 1000 + value });

describe('RawBatchRouter', () => {
  it('writes each series to the partition of its slot, with the raw partition and raw offsets', () => {
    const router = new RawBatchRouter(deps(), 6);
    router.add(100, json(sample('a', 1)), NO_RECORD_TIME);
    router.add(101, json([sample('a', 2), sample('b', 3)]), NO_RECORD_TIME);
    const out = router.finish();
    for (const { slot, records } of out.shardRecords) {
      for (const r of records) {
        for (const s of r.series) expect(fakeRouter.route(canonicalSeriesKey(s.name, s.labels)).slot).toBe(slot);
      }
    }
    const all = out.shardRecords.flatMap((x) => x.records);
    expect(all.every((r) => r.rp === 6 && r.v === 2)).toBe(true);
    const offsets = all.flatMap((r) => r.samples.map((s) => [r.series[s[0]]?.labels.host, s[1], s[3]]));
    expect(offsets.sort()).toEqual([
      ['a', 1, 100],
      ['a', 2, 101],
      ['b', 3, 101],
    ]);
    expect(out.samples).toBe(3);
    expect(out.messages).toBe(2);
  });

  it('lists a series once per record however many of its samples it holds', () => {
    const router = new RawBatchRouter(deps(), 0);
    for (let o = 0; o < 10; o++) router.add(o, json(sample('a', o)), NO_RECORD_TIME);
    const records = router.finish().shardRecords.flatMap((x) => x.records);
    expect(records).toHaveLength(1);
    expect(records[0]?.series).toHaveLength(1);
    expect(records[0]?.samples).toHaveLength(10);
  });

  it('sends whole-message rejections with the original bytes and sample rejections with the sample JSON', () => {
    const router = new RawBatchRouter(deps(), 1);
    const garbage = Buffer.from([0xc3, 0x28]);
    router.add(5, garbage, NO_RECORD_TIME);
    router.add(6, json([sample('a', 1), { name: 'up', value: 'NaN', timestamp: 1 }]), NO_RECORD_TIME);
    router.add(7, null, NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rawOffset, e.rejection.code, e.rejection.sampleIndex])).toEqual([
      [5, 'INVALID_UTF8', undefined],
      [6, 'NON_FINITE_VALUE', 1],
      [7, 'INVALID_JSON', undefined],
    ]);
    expect(Buffer.from(out.dlq[0]!.value).equals(garbage)).toBe(true);
    expect(JSON.parse(Buffer.from(out.dlq[1]!.value).toString())).toEqual({ name: 'up', value: 'NaN', timestamp: 1 });
    expect(out.routed).toBe(1);
  });

  it('rejects new series of a metric over MAX_SERIES_PER_METRIC to the DLQ and keeps known ones flowing', () => {
    const router = new RawBatchRouter(deps({ limits: { ...DEFAULT_SAMPLE_LIMITS, maxSeriesPerMetric: 2 } }), 0);
    router.add(0, json([sample('a', 1), sample('b', 2), sample('c', 3), sample('a', 4)]), NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rejection.code, e.rejection.sampleIndex])).toEqual([['LIMIT_CARDINALITY', 2]]);
    expect(out.dlq[0]?.rejection.reason).toMatch(/^\$\[2\]\.name: .*MAX_SERIES_PER_METRIC=2/);
    expect(out.routed).toBe(3);
  });

  it('splits a slot\'s samples into records of at most maxSamples, in offset order', () => {
    const router = new RawBatchRouter(deps({ recordLimits: { maxSamples: 3, maxBytes: 1 << 20 } }), 0);
    for (let o = 0; o < 10; o++) router.add(o, json(sample('a', o)), NO_RECORD_TIME);
    const records = router.finish().shardRecords.flatMap((x) => x.records);
    expect(records.map((r) => r.samples.length)).toEqual([3, 3, 3, 1]);
    expect(records.flatMap((r) => r.samples.map((s) => s[3]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('routes every valid sample exactly once to its slot, in raw-offset order, and every invalid one to the DLQ', () => {
    const element = fc.oneof(
      { weight: 4, arbitrary: validSample },
      { weight: 1, arbitrary: validSample.map((s) => ({ ...s, labels: { ...s.labels, __x: 'y' } })) },
      { weight: 1, arbitrary: validSample.map((s) => ({ ...s, value: String(s.value) })) },
    );
    const message = fc.oneof(
      { weight: 3, arbitrary: fc.array(element, { maxLength: 6 }).map((es) => json(es)) },
      { weight: 1, arbitrary: element.map((e) => json(e)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) },
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 15 }), (messages, maxSamples, rp) => {
        const d = deps({ recordLimits: { maxSamples, maxBytes: 2000 } });
        const router = new RawBatchRouter(d, rp);
        const firstOffset = 1000;
        messages.forEach((m, i) => router.add(firstOffset + i, m, NO_RECORD_TIME));
        const out = router.finish();

        // What an independent validation says should happen.
        const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
        const expected: string[] = [];
        let expectedDlq = 0;
        messages.forEach((m, i) => {
          const v = validator.validateMessage(m);
          expectedDlq += v.rejected.length;
          for (const a of v.accepted) {
            const key = canonicalSeriesKey(a.sample.name, a.sample.labels);
            expected.push(`${fakeRouter.route(key).slot}|${key}|${a.sample.value}|${a.sample.timestamp}|${firstOffset + i}`);
          }
        });

        const got: string[] = [];
        for (const { slot, records } of out.shardRecords) {
          let lastOffset = -1;
          for (const r of records) {
            // A record outgrows maxSamples only to keep one raw message's samples together.
            const tailOffsets = new Set(r.samples.slice(maxSamples - 1).map((x) => x[3]));
            expect(tailOffsets.size).toBeLessThanOrEqual(1);
            expect(r.rp).toBe(rp);
            for (const [si, value, ts, offset] of r.samples) {
              const s = r.series[si]!;
              const key = canonicalSeriesKey(s.name, s.labels);
              expect(fakeRouter.route(key)).toEqual({ seriesId: s.id, slot });
              expect(offset).toBeGreaterThanOrEqual(lastOffset);
              lastOffset = offset;
              got.push(`${slot}|${key}|${value}|${ts}|${offset}`);
            }
          }
        }
        expect(got.sort()).toEqual(expected.sort());
        expect(out.dlq).toHaveLength(expectedDlq);
      }),
      { seed, numRuns: 200 },
    );
  });
});
