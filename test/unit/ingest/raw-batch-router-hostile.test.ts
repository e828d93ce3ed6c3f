import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLE_LIMITS, SampleValidator, type Sample } from '@ringtail/model';
import { RawBatchRouter, type RoutedBatch } from '@ringtail/ingest';
import { NO_RECORD_TIME, routerDeps } from './router-fixtures.ts';

const deps = routerDeps;

const good = (value: number) => ({ name: 'up', labels: { host: 'a' }, value, timestamp: 1_764_000_000_000 });
const bytes = (s: string) => Buffer.from(s);
const routedValues = (out: RoutedBatch) => out.shardRecords.flatMap((x) => x.records.flatMap((r) => r.samples.map((s) => s[1]))).sort((a, b) => a - b);

describe('RawBatchRouter with hostile input', () => {
  it('rejects a message nested 5000 deep (the poison pill) with MAX_JSON_DEPTH named, and routes the next message', () => {
    const router = new RawBatchRouter(deps(), 0);
    router.add(1, bytes('['.repeat(5000) + ']'.repeat(5000)), NO_RECORD_TIME);
    router.add(2, bytes(JSON.stringify(good(7))), NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rawOffset, e.rejection.code])).toEqual([[1, 'LIMIT_JSON_DEPTH']]);
    expect(out.dlq[0]?.rejection.reason).toMatch(/MAX_JSON_DEPTH=\d+/);
    expect(routedValues(out)).toEqual([7]);
  });

  it.each([
    ['inside labels', `{"name":"up","labels":{"host":${'['.repeat(5000)}${']'.repeat(5000)}},"value":1,"timestamp":1}`],
    ['as the value', `{"name":"up","labels":{},"value":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)},"timestamp":1}`],
    ['inside an array message', `[${JSON.stringify(good(1))},${'['.repeat(5000)}${']'.repeat(5000)}]`],
  ])('rejects deep nesting %s as a whole message and keeps going', (_, message) => {
    const router = new RawBatchRouter(deps(), 0);
    router.add(1, bytes(message), NO_RECORD_TIME);
    router.add(2, bytes(JSON.stringify(good(9))), NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => e.rejection.code)).toEqual(['LIMIT_JSON_DEPTH']);
    expect(routedValues(out)).toEqual([9]);
    expect(Buffer.from(out.dlq[0]!.value).toString()).toBe(message);
  });

  it('sends a message whose validation throws unexpectedly to the DLQ as INTERNAL_ERROR and routes the rest', () => {
    const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
    const throwing = Object.assign(Object.create(validator) as SampleValidator, {
      validate: (element: unknown, index: number, array: boolean) => {
        if ((element as Sample).value === 13) throw new RangeError('Maximum call stack size exceeded');
        return validator.validate(element, index, array);
      },
    });
    const router = new RawBatchRouter(deps({ validator: throwing }), 0);
    router.add(1, bytes(JSON.stringify([good(1), good(13), good(2)])), NO_RECORD_TIME);
    router.add(2, bytes(JSON.stringify(good(3))), NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rawOffset, e.rejection.code, e.rejection.sampleIndex])).toEqual([[1, 'INTERNAL_ERROR', 1]]);
    expect(out.dlq[0]?.rejection.reason).toMatch(/^\$\[1\]: .*Maximum call stack size exceeded/);
    expect(JSON.parse(Buffer.from(out.dlq[0]!.value).toString())).toEqual(good(13));
    expect(routedValues(out)).toEqual([1, 2, 3]);
  });

  it('keeps the original message bytes as the DLQ value when a rejected element cannot be serialised', () => {
    const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
    const cyclic: Record<string, unknown> = { name: 'up' };
    cyclic.self = cyclic;
    const decoding = Object.assign(Object.create(validator) as SampleValidator, {
      decodeMessage: () => ({ ok: true as const, elements: [cyclic, 10n], array: true }),
    });
    const router = new RawBatchRouter(deps({ validator: decoding }), 0);
    const raw = bytes('[{"name":"up"}]');
    router.add(1, raw, NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => e.rejection.code)).toEqual(['SCHEMA', 'SCHEMA']);
    for (const entry of out.dlq) expect(Buffer.from(entry.value).equals(raw)).toBe(true);
  });

  it('keeps labels named like Object.prototype members and rejects __proto__ as reserved', () => {
    const router = new RawBatchRouter(deps(), 0);
    router.add(1, bytes('{"name":"up","labels":{"__proto__":"x"},"value":1,"timestamp":1}'), NO_RECORD_TIME);
    router.add(2, bytes('{"name":"up","labels":{"__proto__":"x","k":"v"},"value":2,"timestamp":1}'), NO_RECORD_TIME);
    router.add(3, bytes('{"name":"up","labels":{"constructor":"c","toString":"t","hasOwnProperty":"h","valueOf":"v"},"value":3,"timestamp":1}'), NO_RECORD_TIME);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rawOffset, e.rejection.code, e.rejection.reason])).toEqual([
      [1, 'RESERVED_LABEL', '$.labels.__proto__: label names starting with "__" are reserved'],
      [2, 'RESERVED_LABEL', '$.labels.__proto__: label names starting with "__" are reserved'],
    ]);
    const series = out.shardRecords.flatMap((x) => x.records.flatMap((r) => r.series));
    expect(series.map((s) => Object.entries(s.labels).sort())).toEqual([
      [
        ['constructor', 'c'],
        ['hasOwnProperty', 'h'],
        ['toString', 't'],
        ['valueOf', 'v'],
      ],
    ]);
  });

  it('judges each sample against its record timestamp: too old or too new to the DLQ, closed resolutions left out and counted', () => {
    const record = 1_764_000_000_000;
    const minute = 60_000;
    const router = new RawBatchRouter(deps(), 0);
    // Default lateness: 10s windows close 5 min after their end, 1m ones 10 min, 1h ones 1 h.
    router.add(1, bytes(JSON.stringify([good(1), { ...good(2), timestamp: 0 }, { ...good(3), timestamp: record - 6 * minute }])), record);
    router.add(2, bytes(JSON.stringify({ ...good(4), timestamp: record + 3_600_000 })), record);
    router.add(3, bytes(JSON.stringify({ ...good(5), timestamp: record - 30 * minute })), record);
    const out = router.finish();
    expect(out.dlq.map((e) => [e.rawOffset, e.rejection.code, e.rejection.sampleIndex])).toEqual([
      [1, 'TIMESTAMP_TOO_OLD', 1],
      [2, 'TIMESTAMP_TOO_NEW', 0],
    ]);
    expect(out.dlq[1]?.rejection.reason).toMatch(/^\$\.timestamp: .*MAX_SAMPLE_FUTURE_MS=600000/);
    const masks = out.shardRecords.flatMap((x) => x.records.flatMap((r) => r.samples.map((s) => [s[1], s[4] ?? 0])));
    expect(masks.sort()).toEqual([
      [1, 0],
      [3, 0b001],
      [5, 0b011],
    ]);
    expect(Object.fromEntries(out.expiredByResolution)).toEqual({ '10s': 2, '1m': 1 });
  });
});
