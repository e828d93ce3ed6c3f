import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, addSample, readingOf, windowOfSample, windowStartMs, windowValues, type WindowAggregate } from '@ringtail/model';
import { aggregateSteps, formatTable } from '@ringtail/query';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('query/step-aggregation');
const MINUTE_MS = 60_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 3_600_000);

describe('aggregateSteps', () => {
  it('re-aggregates 10s windows into steps exactly as if the samples were aggregated per step', () => {
    const sample = fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.integer({ min: T0, max: T0 + 20 * MINUTE_MS }));
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 200 }), fc.constantFrom(10_000, MINUTE_MS, 5 * MINUTE_MS), (samples, stepMs) => {
        const fold = (bucketMs: number) => {
          const m = new Map<number, WindowAggregate>();
          for (const [v, ts] of samples) {
            const s = windowStartMs(ts, bucketMs);
            const w = m.get(s);
            if (w) addSample(w, v, ts);
            else m.set(s, windowOfSample(v, ts));
          }
          return m;
        };
        const tenSecond = [...fold(10_000)].map(([startMs, w]) => ({ startMs, reading: readingOf(w) })).reverse();
        const expected = [...fold(stepMs)].sort(([a], [b]) => a - b).map(([s, w]) => windowValues(s, readingOf(w)));
        expect(aggregateSteps(tenSecond, stepMs)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('formatTable', () => {
  it('prints one aligned line per series and step', () => {
    const w = windowOfSample(2.5, T0);
    const text = formatTable([
      { series: { id: 'x', name: 'cpu', labels: { z: '1', a: 'b' } }, resolution: '10s', stepMs: 10_000, points: [windowValues(T0, readingOf(w))] },
    ]);
    const [header, line] = text.trimEnd().split('\n');
    expect(header).toMatch(/^series\s+start\s+count\s+sum\s+min\s+max\s+first\s+last$/);
    expect(line).toContain('cpu{a="b",z="1"}');
    expect(line).toContain(new Date(T0).toISOString());
    expect(line).toMatch(/1\s+2\.5\s+2\.5\s+2\.5\s+2\.5\s+2\.5$/);
  });
});
