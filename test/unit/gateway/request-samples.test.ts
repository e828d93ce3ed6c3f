import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { judgeCandidates, packRawMessages, snappyDeclaredLength, unsnappy, RequestTooLargeError, MalformedBodyError } from '@ringtail/gateway';
import { DEFAULT_SAMPLE_LIMITS, SampleValidator, type Sample } from '@ringtail/model';
import { compress } from 'snappyjs';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('gateway/request-samples');

describe('judging and packing a request', () => {
  it("judges candidates with ingest's validator and names the series in each reason", () => {
    const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
    const judged = judgeCandidates(validator, {
      candidates: [
        { name: 'ok', labels: { a: '1', empty: '' }, value: 1, timestamp: 5, point: 0 },
        { name: 'ok', labels: {}, value: Number.NEGATIVE_INFINITY, timestamp: 5, point: 1 },
        { name: undefined, labels: { a: '1' }, value: 1, timestamp: 5, point: 2 },
        { name: 'ok', labels: { __x: '1' }, value: 1, timestamp: 5, point: 3 },
      ],
      rejected: [],
      stale: 0,
    });
    expect(judged.accepted).toEqual([{ name: 'ok', labels: { a: '1' }, value: 1, timestamp: 5 }]);
    expect(judged.rejected.map((r) => r.rejection.code)).toEqual(['NON_FINITE_VALUE', 'SCHEMA', 'RESERVED_LABEL']);
    expect(judged.rejected[0]!.rejection.reason).toMatch(/^ok\{\} @5: /);
    expect(judged.rejected[0]!.input).toMatchObject({ value: '-Inf' });
    expect(judged.rejected.map((r) => r.point)).toEqual([1, 2, 3]);
  });

  it('packs samples, in order, into messages within the byte and sample limits', () => {
    const sample = fc.record({
      name: fc.constantFrom('a', 'metric_name_long_enough'),
      labels: fc.dictionary(fc.constantFrom('x', 'y', 'zz'), fc.string({ maxLength: 40 }), { maxKeys: 3 }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      timestamp: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 300 }), fc.integer({ min: 300, max: 4000 }), fc.integer({ min: 1, max: 50 }), (samples, maxMessageBytes, maxSamplesPerMessage) => {
        const { messages, tooLarge } = packRawMessages(samples, { maxMessageBytes, maxSamplesPerMessage });
        const kept: Sample[] = messages.flatMap((m) => JSON.parse(m.value) as Sample[]);
        const tooLargeSet = new Set(tooLarge.map((t) => t.input));
        expect(kept).toEqual(JSON.parse(JSON.stringify(samples.filter((s) => !tooLargeSet.has(s)))));
        for (const m of messages) {
          expect(Buffer.byteLength(m.value)).toBe(m.bytes);
          expect(m.bytes).toBeLessThanOrEqual(maxMessageBytes);
          expect(m.samples).toBeLessThanOrEqual(maxSamplesPerMessage);
        }
        for (const t of tooLarge) expect(Buffer.byteLength(JSON.stringify(t.input)) + 2).toBeGreaterThan(maxMessageBytes);
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe('snappy bodies', () => {
  it('reads the declared length of a block and refuses one over the limit before decompressing', () => {
    const block = Buffer.from(compress(Buffer.alloc(100_000, 1)));
    expect(snappyDeclaredLength(block)).toBe(100_000);
    expect(unsnappy(block, 100_000)).toEqual(Buffer.alloc(100_000, 1));
    expect(() => unsnappy(block, 99_999)).toThrow(RequestTooLargeError);
    expect(() => unsnappy(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1000)).toThrow(MalformedBodyError);
    expect(() => unsnappy(Buffer.from([0x10, 0x01, 0x02]), 1000)).toThrow(MalformedBodyError);
  });
});
