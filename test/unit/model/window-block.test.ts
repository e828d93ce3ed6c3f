import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlockCorruptError,
  BlockEncodeError,
  decodeWindowBlock,
  encodeWindowBlock,
  readingOfValues,
  windowValues,
  type WindowBlock,
  type WindowValues,
} from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('model/window-block');

const EDGE_DOUBLES = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2.225073858507201e-308, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
/** Doubles with the edge cases often, and a small pool so that min/max/first/last/sum coincide often (the flags). */
const value = fc.oneof(fc.constantFrom(...EDGE_DOUBLES), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1000, max: 1000 }));
const sumValue = fc.oneof(value, fc.constantFrom(Infinity, -Infinity));

const block = fc
  .record({
    stepMs: fc.integer({ min: 1, max: 3_600_000 }),
    slots: fc.integer({ min: 1, max: 720 }),
    blockIndex: fc.integer({ min: -1000, max: 3000 }),
  })
  .chain(({ stepMs, slots, blockIndex }) => {
    const startMs = blockIndex * stepMs * slots;
    const window = (i: number) =>
      fc
        .record({
          count: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
          ft: fc.integer({ min: 0, max: stepMs - 1 }),
          span: fc.nat(),
          vals: fc.tuple(value, value, value, value),
          pick: fc.array(fc.nat(3), { minLength: 3, maxLength: 3 }),
          sum: sumValue,
          sumIsFirst: fc.boolean(),
        })
        .map(({ count, ft, span, vals, pick, sum, sumIsFirst }): WindowValues => {
          const s = startMs + i * stepMs;
          const first = vals[0];
          return {
            startMs: s,
            count,
            firstTsMs: s + ft,
            lastTsMs: s + ft + (span % (stepMs - ft)),
            first,
            last: vals[pick[0]!]!,
            min: vals[pick[1]!]!,
            max: vals[pick[2]!]!,
            sum: sumIsFirst ? first : sum,
          };
        });
    return fc
      .uniqueArray(fc.nat(slots - 1), { maxLength: Math.min(slots, 60) })
      .map((positions) => positions.sort((a, b) => a - b))
      .chain((positions) => fc.tuple(...positions.map(window)))
      .map((windows): WindowBlock => ({ startMs, stepMs, slots, windows }));
  });

/** Field-by-field equality that tells -0 from 0. */
function expectSame(actual: WindowBlock, expected: WindowBlock): void {
  expect(actual.startMs).toBe(expected.startMs);
  expect(actual.stepMs).toBe(expected.stepMs);
  expect(actual.slots).toBe(expected.slots);
  expect(actual.windows.length).toBe(expected.windows.length);
  actual.windows.forEach((w, i) => {
    const e = expected.windows[i]!;
    for (const k of Object.keys(e) as (keyof WindowValues)[]) {
      if (!Object.is(w[k], e[k])) throw new Error(`window ${i} field ${k}: ${w[k]} !== ${e[k]}`);
    }
  });
}

describe('window block codec', () => {
  it('decodes exactly what it encoded, field by field', () => {
    fc.assert(
      fc.property(block, (b) => expectSame(decodeWindowBlock(encodeWindowBlock(b)), b)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('keeps -0, subnormals and ±max double as themselves', () => {
    const windows: WindowValues[] = EDGE_DOUBLES.map((v, i) => ({ startMs: i * 10, count: 1, sum: v, min: v, max: v, first: v, last: v, firstTsMs: i * 10, lastTsMs: i * 10 }));
    const b: WindowBlock = { startMs: 0, stepMs: 10, slots: 16, windows };
    expectSame(decodeWindowBlock(encodeWindowBlock(b)), b);
  });

  it('gives back the rounded sum a reader of the hot window saw, through readingOfValues', () => {
    fc.assert(
      fc.property(block, (b) => {
        for (const w of decodeWindowBlock(encodeWindowBlock(b)).windows) {
          // An exact sum is never -0 (scaled 0 reads as 0), so a -0 sum only comes from the generator.
          expect(windowValues(w.startMs, readingOfValues(w))).toEqual({ ...w, sum: Object.is(w.sum, -0) ? 0 : w.sum });
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('never stores NaN', () => {
    const w: WindowValues = { startMs: 0, count: 1, sum: 1, min: NaN, max: 1, first: 1, last: 1, firstTsMs: 0, lastTsMs: 0 };
    expect(() => encodeWindowBlock({ startMs: 0, stepMs: 10, slots: 4, windows: [w] })).toThrow(BlockEncodeError);
    expect(() => encodeWindowBlock({ startMs: 0, stepMs: 10, slots: 4, windows: [{ ...w, min: 1, sum: NaN }] })).toThrow(/sum is NaN/);
  });

  it('refuses windows outside the block or timestamps outside their window', () => {
    const w: WindowValues = { startMs: 40, count: 1, sum: 1, min: 1, max: 1, first: 1, last: 1, firstTsMs: 40, lastTsMs: 40 };
    expect(() => encodeWindowBlock({ startMs: 0, stepMs: 10, slots: 4, windows: [w] })).toThrow(/not a window position/);
    expect(() => encodeWindowBlock({ startMs: 0, stepMs: 10, slots: 8, windows: [{ ...w, lastTsMs: 50 }] })).toThrow(/outside the window/);
  });

  it('rejects every altered or truncated encoding with BlockCorruptError naming the problem', () => {
    fc.assert(
      fc.property(
        block.filter((b) => b.windows.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (b, at, xor, truncate) => {
          const bytes = encodeWindowBlock(b);
          const bad = truncate ? bytes.subarray(0, at % bytes.length) : Uint8Array.from(bytes);
          if (!truncate) bad[at % bad.length]! ^= xor;
          let caught: unknown;
          try {
            decodeWindowBlock(bad);
          } catch (err) {
            caught = err;
          }
          expect(caught).toBeInstanceOf(BlockCorruptError);
          expect((caught as BlockCorruptError).code).toBe('MODEL_BLOCK_CORRUPT');
          expect((caught as Error).message).toMatch(/^window block is corrupt: .+/);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('names a wrong version even when the checksum matches', async () => {
    const { crc32 } = await import('node:zlib');
    const bytes = encodeWindowBlock({ startMs: 0, stepMs: 10, slots: 4, windows: [] });
    const body = Uint8Array.from(bytes.subarray(0, bytes.length - 4));
    body[0] = 9;
    const forged = new Uint8Array(bytes.length);
    forged.set(body);
    new DataView(forged.buffer).setUint32(body.length, crc32(body), true);
    expect(() => decodeWindowBlock(forged)).toThrow(/version 9, expected 1/);
  });
});
