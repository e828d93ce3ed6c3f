import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLE_LIMITS, REJECTION_CODES, SampleValidator, type RejectionCode } from '@ringtail/model';
import { RawBatchRouter } from '@ringtail/ingest';
import { testSeed } from '../../support/test-seed.ts';
import { labelName, metricName } from '../model/arbitraries.ts';
import { routerDeps } from './router-fixtures.ts';

const seed = testSeed('hostile-fuzz');
const RUNS = 10_000;
const MESSAGES_PER_RUN = 10;
const RECORD_MS = 1_764_000_000_000;
// Loose on purpose: catches state that grows with every message (a leak), not allocation noise.
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;
const KNOWN_CODES: ReadonlySet<string> = new Set(REJECTION_CODES);

// JSON text pieces a well-behaved encoder never writes: numbers out of double range, -0, numbers as strings, wrong types.
const hostileNumber = fc.constantFrom('1e400', '-1e400', '-0', '0', '"1"', '1e-400', '"NaN"', '"+Inf"', '"-Infinity"', '9007199254740993', '-1', '1.5', 'true', 'null', '[]', '{}', '""');
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf', '__name__', '', 'name', 'value', '\u0000', 'a'.repeat(300), 'é');
const jsonString = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\ud800"', '"\\udfff x"', '"\\u0000"'),
  fc.integer({ min: 100, max: 3_000 }).map((n) => JSON.stringify('x'.repeat(n))),
);
const leaf = fc.oneof(hostileNumber, jsonString);
const deep = fc
  .tuple(fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 2, max: 100 }) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 12_000 }) }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"k":', '}]']))
  .map(([n, [open, close]]) => open.repeat(n) + '1' + close.repeat(n));
const labelsText = fc
  .array(fc.tuple(fc.oneof(hostileKey, labelName), fc.oneof({ weight: 4, arbitrary: jsonString }, { weight: 50, arbitrary: leaf }, { weight: 1, arbitrary: deep })), { maxLength: 40 })
  .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
const timestampText = fc.oneof(
  fc.integer({ min: RECORD_MS - 100 * 86_400_000, max: RECORD_MS + 3_600_000 }).map(String),
  fc.constantFrom('0', '-5', '1.5', '9007199254740992', '1e400', '"1764000000000"'),
);
const field = (name: string, value: fc.Arbitrary<string>) => fc.option(value.map((v) => `"${name}":${v}`), { freq: 6 });
const sampleText = fc
  .tuple(
    field('name', fc.oneof(metricName.map((n) => JSON.stringify(n)), leaf)),
    field('labels', fc.oneof({ weight: 5, arbitrary: labelsText }, { weight: 50, arbitrary: leaf }, { weight: 1, arbitrary: deep })),
    field('value', fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), hostileNumber)),
    field('timestamp', timestampText),
    fc.option(fc.tuple(hostileKey, fc.oneof(leaf, deep)).map(([k, v]) => `${JSON.stringify(k)}:${v}`), { freq: 4 }),
  )
  .chain((fields) => fc.shuffledSubarray(fields.filter((f): f is string => f !== null), { minLength: 0 }))
  .map((fields) => `{${fields.join(',')}}`);
// Arrays around the sample limit (10,000) cost milliseconds each: rare.
const hugeArray = fc.integer({ min: DEFAULT_SAMPLE_LIMITS.maxSamplesPerMessage - 2, max: DEFAULT_SAMPLE_LIMITS.maxSamplesPerMessage + 2 }).map(
  (n) => `[${Array.from({ length: n }, (_, i) => `{"name":"up","labels":{"i":"${i % 50}"},"value":${i},"timestamp":${RECORD_MS}}`).join(',')}]`,
);
const messageText = fc.oneof(
  { weight: 500, arbitrary: sampleText },
  { weight: 300, arbitrary: fc.array(fc.oneof(sampleText, leaf), { maxLength: 12 }).map((es) => `[${es.join(',')}]`) },
  { weight: 100, arbitrary: deep },
  { weight: 100, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 50, arbitrary: leaf },
  { weight: 50, arbitrary: fc.constantFrom('', '[', '{"name":', '[]', '{}', 'null', '\uFEFF{}', '  ') },
);
// Bytes no UTF-8 encoder writes: invalid lead and continuation bytes, overlong forms, encoded surrogates, truncations.
const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];
const message: fc.Arbitrary<Uint8Array | null> = fc.oneof(
  { weight: 2000, arbitrary: messageText.map((t) => new Uint8Array(Buffer.from(t))) },
  {
    weight: 200,
    arbitrary: fc.tuple(messageText, fc.nat(), fc.constantFrom(...INVALID_UTF8)).map(([t, at, bad]) => {
      const b = Buffer.from(t);
      const i = at % (b.length + 1);
      return new Uint8Array(Buffer.concat([b.subarray(0, i), Buffer.from(bad), b.subarray(i)]));
    }),
  },
  { weight: 100, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 20, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: hugeArray.map((t) => new Uint8Array(Buffer.from(t))) },
);

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('ingest under hostile input (fuzz)', () => {
  // Generous: the run takes 10-20 s on a loaded 2-core machine; this bounds a hang, it times nothing.
  it(`judges ${RUNS * MESSAGES_PER_RUN} hostile messages without an escaped exception, each with a known code or accepted, in bounded memory`, { timeout: 120_000 }, () => {
    const deps = routerDeps({ recordLimits: { maxSamples: 5_000, maxBytes: 256 * 1024 } });
    const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
    const seen = new Map<RejectionCode | 'ACCEPTED', number>();
    const count = (key: RejectionCode | 'ACCEPTED', n = 1) => seen.set(key, (seen.get(key) ?? 0) + n);
    let messages = 0;
    let heapBefore = 0;
    let judgingMs = 0;
    const fail = (why: string) => {
      throw new Error(why);
    };

    fc.assert(
      fc.property(fc.array(message, { minLength: MESSAGES_PER_RUN, maxLength: MESSAGES_PER_RUN }), (batch) => {
        const started = performance.now();
        const router = new RawBatchRouter(deps, 0);
        let elements = 0;
        batch.forEach((bytes, offset) => {
          const judged = validator.validateMessage(bytes);
          for (const r of judged.rejected) if (!KNOWN_CODES.has(r.rejection.code)) return fail(`validator gave unknown code ${r.rejection.code}`);
          elements += judged.accepted.length + judged.rejected.length;
          router.add(offset, bytes, RECORD_MS);
          messages += 1;
        });
        const out = router.finish();
        const routed = out.shardRecords.reduce((n, p) => n + p.records.reduce((m, r) => m + r.samples.length, 0), 0);
        for (const entry of out.dlq) {
          // Plain checks, not expect(): a million expect() calls would be most of the run time.
          if (!KNOWN_CODES.has(entry.rejection.code) || entry.rejection.reason === '' || !(entry.value instanceof Uint8Array)) {
            return fail(`bad DLQ entry ${JSON.stringify(entry.rejection)}`);
          }
          count(entry.rejection.code);
        }
        count('ACCEPTED', routed);
        // Every element the validator saw is either routed or in the DLQ, once.
        if (routed + out.dlq.length !== elements) return fail(`${elements} elements, ${routed} routed + ${out.dlq.length} in the DLQ`);
        judgingMs += performance.now() - started;
        if (messages === 2_000) {
          collectGarbage();
          heapBefore = process.memoryUsage().heapUsed;
        }
        return true;
      }),
      { seed, numRuns: RUNS },
    );
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`[hostile-fuzz] ${messages} messages judged in ${Math.round(judgingMs)} ms; heap growth ${Math.round(growth / 1024)} KiB; outcomes ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);

    expect(messages).toBeGreaterThanOrEqual(100_000);
    expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    // The generator reaches every kind of hostile input it is meant to, or the test proves little.
    for (const code of ['ACCEPTED', 'INVALID_UTF8', 'INVALID_JSON', 'LIMIT_JSON_DEPTH', 'LIMIT_SAMPLES_PER_MESSAGE', 'SCHEMA', 'RESERVED_LABEL', 'NON_FINITE_VALUE', 'INVALID_TIMESTAMP', 'TIMESTAMP_TOO_OLD', 'TIMESTAMP_TOO_NEW', 'INVALID_LABEL_VALUE', 'LIMIT_NAME_LENGTH'] as const) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });
});
