import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalSeriesKey } from '@ringtail/hashring';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('series-key');
const NUM_RUNS = 300;

/** Inverse of canonicalSeriesKey, written from the documented grammar only. */
function parseSeriesKey(key: string): { name: string; labels: [string, string][] } {
  let i = 0;
  const readUntil = (stop: string, unescape: (c: string) => string): string => {
    let out = '';
    while (i < key.length && key[i] !== stop) {
      if (key[i] === '\\') {
        out += unescape(key[i + 1] as string);
        i += 2;
      } else out += key[i++];
    }
    return out;
  };
  const name = readUntil('{', (c) => c);
  const labels: [string, string][] = [];
  if (i === key.length) return { name, labels };
  // Braces are only written around at least one label; after each value comes `,` or the final `}`.
  do {
    i++; // { or ,
    const labelName = readUntil('=', (c) => c);
    i += 2; // ="
    const value = readUntil('"', (c) => (c === 'n' ? '\n' : c));
    i++; // "
    labels.push([labelName, value]);
  } while (key[i] === ',');
  expect(i).toBe(key.length - 1);
  expect(key[i]).toBe('}');
  return { name, labels };
}

const tricky = fc.string({ unit: fc.constantFrom('a', 'b', '\\', '"', '\n', '{', '}', '=', ',', 'é', '😀'), maxLength: 6 });
const series = fc.record({
  name: fc.oneof(tricky, fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/)),
  labels: fc.dictionary(fc.oneof(tricky, fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/)), fc.oneof(tricky, fc.string()), {
    maxKeys: 6,
  }),
});

describe('canonicalSeriesKey', () => {
  it('writes the Prometheus text form with labels sorted by name', () => {
    expect(canonicalSeriesKey('http_requests_total', { status: '200', method: 'GET' })).toBe(
      'http_requests_total{method="GET",status="200"}',
    );
    expect(canonicalSeriesKey('up', {})).toBe('up');
  });

  it('escapes backslash, quote and newline in values and the delimiters in names', () => {
    expect(canonicalSeriesKey('m', { path: 'C:\\x "q"\nz' })).toBe('m{path="C:\\\\x \\"q\\"\\nz"}');
    expect(canonicalSeriesKey('a{b', { 'c=d': 'e' })).toBe('a\\{b{c\\=d="e"}');
  });

  it('gives the same key whatever the label insertion order', () => {
    fc.assert(
      fc.property(series, fc.infiniteStream(fc.nat()), ({ name, labels }, shuffleSeeds) => {
        const entries = Object.entries(labels);
        for (let i = entries.length - 1; i > 0; i--) {
          const j = (shuffleSeeds.next().value as number) % (i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        expect(canonicalSeriesKey(name, Object.fromEntries(entries))).toBe(canonicalSeriesKey(name, labels));
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('never maps two different series to the same key (the key parses back)', () => {
    fc.assert(
      fc.property(series, ({ name, labels }) => {
        const parsed = parseSeriesKey(canonicalSeriesKey(name, labels));
        expect(parsed.name).toBe(name);
        expect(parsed.labels).toEqual(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('distinguishes series that differ only in escaping-relevant characters', () => {
    fc.assert(
      fc.property(series, series, (a, b) => {
        fc.pre(a.name !== b.name || JSON.stringify(Object.entries(a.labels).sort()) !== JSON.stringify(Object.entries(b.labels).sort()));
        expect(canonicalSeriesKey(a.name, a.labels)).not.toBe(canonicalSeriesKey(b.name, b.labels));
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });
});
