import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateSeries, counterIncrease } from '../../../services/alerter/src/domain/aggregate.ts';
import { testSeed } from '../../support/test-seed.ts';
import { windowOf } from './helpers.ts';

const seed = testSeed('alerter/aggregate');
const T = 1_700_000_000_000;

describe('aggregations over windows', () => {
  const windows = [
    windowOf([
      [T, 4],
      [T + 1000, 8],
    ]),
    windowOf([
      [T + 10_000, 2],
      [T + 12_000, 6],
    ]),
  ];

  it.each([
    ['avg', 5],
    ['min', 2],
    ['max', 8],
    ['sum', 20],
    ['count', 4],
    ['last', 6],
  ] as const)('computes %s', (agg, expected) => {
    expect(aggregateSeries(agg, windows, 60_000)).toBe(expected);
  });

  it('derives a counter increase and rate from window first/last', () => {
    const counter = [
      windowOf([
        [T, 10],
        [T + 5_000, 20],
      ]),
      windowOf([
        [T + 10_000, 25],
        [T + 15_000, 40],
      ]),
    ];
    expect(aggregateSeries('increase', counter, 60_000)).toBe(30);
    expect(aggregateSeries('rate', counter, 60_000)).toBe(0.5);
  });

  it('treats a drop between windows as a counter reset', () => {
    const counter = [
      windowOf([
        [T, 100],
        [T + 5_000, 120],
      ]),
      windowOf([
        [T + 10_000, 3],
        [T + 15_000, 10],
      ]),
    ];
    expect(counterIncrease(counter)).toBe(20 + 3 + 7);
  });

  it('treats a drop inside a window as a counter reset', () => {
    const counter = [
      windowOf([
        [T, 100],
        [T + 3_000, 150],
        [T + 6_000, 5],
      ]),
    ];
    expect(counterIncrease(counter)).toBe(5);
  });

  it('has no rate or increase from a single sample', () => {
    expect(aggregateSeries('rate', [windowOf([[T, 1]])], 60_000)).toBeNull();
    expect(aggregateSeries('avg', [], 60_000)).toBeNull();
  });

  it('equals last minus first for any monotonic counter', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 2, maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (steps, perWindow) => {
        let v = 0;
        const samples = steps.map((s, i) => [T + i * 1000, (v += s)] as const);
        const ws = [];
        for (let i = 0; i < samples.length; i += perWindow) ws.push(windowOf(samples.slice(i, i + perWindow)));
        expect(counterIncrease(ws)).toBe(samples.at(-1)![1] - samples[0]![1]);
      }),
      { seed },
    );
  });
});
