import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLE_LIMITS, SampleValidator, createSampleSchema, parseValidSample, type SampleLimits } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';
import { labelName, labelValue, metricName, validSample } from '../model/arbitraries.ts';

const seed = testSeed('sample-fast-path');

// Small limits so the arbitraries below cross every one of them often.
const TIGHT: SampleLimits = { ...DEFAULT_SAMPLE_LIMITS, maxLabelsPerSeries: 3, maxNameLength: 12, maxLabelValueBytes: 9 };

// Near-valid input: mostly valid fields, each one now and then replaced by a kind of mistake.
const mostly = <T, U>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: wrong, weight: 1 });
const anyName = mostly(metricName, fc.oneof(fc.constantFrom('', '1bad', 'a-b', 'x'.repeat(13), 'ok{', '__name__'), fc.string({ maxLength: 14 }), fc.integer()));
const anyLabelName = mostly(labelName, fc.oneof(fc.constantFrom('__x', '__proto__', 'constructor', 'toString', '1a', 'a-b', 'y'.repeat(13), ''), fc.string({ maxLength: 14 })));
const anyLabelValue = mostly(
  labelValue,
  fc.oneof(fc.constantFrom('', '\ud800', 'a\udc00b', '\u{1F600}\u{1F600}\u{1F600}', 'é'.repeat(5), 'NaN'), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null)),
);
const anyLabels = mostly(fc.dictionary(anyLabelName, anyLabelValue, { maxKeys: 5 }), fc.constantFrom(undefined, null, [], 'host=a', 7, Object.create(null) as object));
const anyValue = mostly(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.oneof(fc.double(), fc.constantFrom(-0, 'NaN', '+Inf', '1.5', null, true)));
const anyTimestamp = mostly(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.oneof(fc.constantFrom(-0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2, '1', null), fc.double()),
);
const sampleLike = fc.record(
  {
    name: anyName,
    labels: anyLabels,
    value: anyValue,
    timestamp: anyTimestamp,
    extra: mostly(fc.constant(undefined), fc.constantFrom('lables', '__proto__', 'Name', 'constructor')),
    missing: mostly(fc.constant(undefined), fc.constantFrom('name', 'labels', 'value', 'timestamp')),
  },
  { noNullPrototype: true },
);
const nearValid = sampleLike.chain(({ extra, missing, ...fields }) => {
  const element: Record<string, unknown> = { ...fields };
  if (fields.labels === undefined) delete element.labels;
  if (missing !== undefined) delete element[missing];
  if (extra !== undefined) Object.defineProperty(element, extra, { value: 1, enumerable: true, writable: true, configurable: true });
  // As JSON.parse would hand it over, and as a caller might build it.
  return fc.constantFrom<unknown>(element, JSON.parse(JSON.stringify(element) ?? 'null'), [element]);
});

/** The zod schema's verdict: the parsed sample, or undefined when it rejects. */
function bySchema(element: unknown, limits: SampleLimits): unknown {
  const r = createSampleSchema(limits).safeParse(element);
  return r.success ? r.data : undefined;
}

describe('parseValidSample (the validator fast path)', () => {
  it('never accepts what the zod schema rejects, and returns what the schema returns', () => {
    for (const limits of [DEFAULT_SAMPLE_LIMITS, TIGHT]) {
      let accepted = 0;
      fc.assert(
        fc.property(nearValid, (element) => {
          const fast = parseValidSample(element, limits);
          if (fast === undefined) return;
          accepted++;
          const schema = bySchema(element, limits) as { timestamp: number; value: number } | undefined;
          expect(fast).toStrictEqual(schema);
          expect(Object.is(fast.timestamp, schema?.timestamp) && Object.is(fast.value, schema?.value)).toBe(true);
        }),
        { seed, numRuns: 3000 },
      );
      // The property says nothing unless the fast path accepts a fair share of the inputs.
      expect(accepted).toBeGreaterThan(30);
    }
  });

  it('accepts every valid sample in its JSON form, so the common case never reaches zod', () => {
    fc.assert(
      fc.property(validSample, (sample) => {
        const element = JSON.parse(JSON.stringify(sample)) as unknown;
        const fast = parseValidSample(element, DEFAULT_SAMPLE_LIMITS);
        expect(fast).toBeDefined();
        expect(fast).toStrictEqual(bySchema(element, DEFAULT_SAMPLE_LIMITS));
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('gives the validator the same decisions as the schema alone (rejections always come from the schema)', () => {
    fc.assert(
      fc.property(nearValid, fc.nat(20), fc.boolean(), (element, index, array) => {
        const validator = new SampleValidator(TIGHT);
        const result = validator.validate(element, index, array);
        const schema = bySchema(element, TIGHT);
        expect(result.ok).toBe(schema !== undefined);
        if (result.ok) expect(result.sample).toStrictEqual(schema);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('drops empty label values like the schema does', () => {
    const element = { name: 'up', labels: { host: 'a', zone: '' }, value: 1, timestamp: 2 };
    expect(parseValidSample(element, DEFAULT_SAMPLE_LIMITS)).toEqual({ name: 'up', labels: { host: 'a' }, value: 1, timestamp: 2 });
  });
});
