import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLE_LIMITS, REJECTION_CODES, SampleValidator, exceedsJsonDepth, type SampleLimits } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';
import { labelName, metricName, validSample } from './arbitraries.ts';

const seed = testSeed('sample-validator');
const validator = new SampleValidator(DEFAULT_SAMPLE_LIMITS);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const good = { name: 'http_requests_total', labels: { host: 'a' }, value: 1.5, timestamp: 1732540000000 };

function codeOf(element: unknown, limits: SampleLimits = DEFAULT_SAMPLE_LIMITS) {
  const r = new SampleValidator(limits).validate(element, 0, false);
  return r.ok ? 'OK' : r.rejection.code;
}

describe('SampleValidator', () => {
  it('accepts a single sample object and an array of samples', () => {
    expect(validator.validateMessage(json(good))).toEqual({ accepted: [{ index: 0, sample: good }], rejected: [] });
    const many = validator.validateMessage(json([good, { ...good, value: 2 }]));
    expect(many.accepted.map((a) => a.sample.value)).toEqual([1.5, 2]);
  });

  it('accepts a sample without labels as the series with no labels', () => {
    const { labels: _, ...bare } = good;
    const r = validator.validate(bare, 0, false);
    expect(r.ok && r.sample.labels).toEqual({});
  });

  it('drops empty label values, as Prometheus treats them as absent', () => {
    const r = validator.validate({ ...good, labels: { host: 'a', zone: '' } }, 0, false);
    expect(r.ok && r.sample.labels).toEqual({ host: 'a' });
  });

  it('rejects invalid samples one by one and keeps the valid ones', () => {
    const out = validator.validateMessage(json([good, { ...good, name: '1bad' }, good, { ...good, labels: { __name__: 'x' } }]));
    expect(out.accepted.map((a) => a.index)).toEqual([0, 2]);
    expect(out.rejected.map((r) => [r.rejection.sampleIndex, r.rejection.code])).toEqual([
      [1, 'INVALID_NAME'],
      [3, 'RESERVED_LABEL'],
    ]);
    expect(out.rejected[0]?.input).toEqual({ ...good, name: '1bad' });
    expect(out.rejected[1]?.rejection.reason).toBe('$[3].labels.__name__: label names starting with "__" are reserved');
  });

  it.each([
    ['a missing value', { name: 'm', timestamp: 1 }, 'SCHEMA'],
    ['a string value', { ...good, value: '1.5' }, 'SCHEMA'],
    ['"NaN" as a string', { ...good, value: 'NaN' }, 'NON_FINITE_VALUE'],
    ['"+Inf" as a string', { ...good, value: '+Inf' }, 'NON_FINITE_VALUE'],
    ['NaN', { ...good, value: Number.NaN }, 'NON_FINITE_VALUE'],
    ['Infinity', { ...good, value: Number.POSITIVE_INFINITY }, 'NON_FINITE_VALUE'],
    ['a fractional timestamp', { ...good, timestamp: 1.5 }, 'INVALID_TIMESTAMP'],
    ['a negative timestamp', { ...good, timestamp: -1 }, 'INVALID_TIMESTAMP'],
    ['an unsafe timestamp', { ...good, timestamp: 2 ** 53 }, 'INVALID_TIMESTAMP'],
    ['a string timestamp', { ...good, timestamp: '1732540000000' }, 'SCHEMA'],
    ['an unknown key', { ...good, lables: {} }, 'SCHEMA'],
    ['a number label value', { ...good, labels: { host: 1 } }, 'SCHEMA'],
    ['a name with a dash', { ...good, name: 'http-requests' }, 'INVALID_NAME'],
    ['an empty name', { ...good, name: '' }, 'INVALID_NAME'],
    ['a label name with a colon', { ...good, labels: { 'a:b': 'x' } }, 'INVALID_LABEL_NAME'],
    ['a label name starting with a digit', { ...good, labels: { '1a': 'x' } }, 'INVALID_LABEL_NAME'],
    ['a reserved label name', { ...good, labels: { __meta: 'x' } }, 'RESERVED_LABEL'],
    ['a lone surrogate in a label value', { ...good, labels: { host: 'a\ud800' } }, 'INVALID_LABEL_VALUE'],
    ['null', null, 'SCHEMA'],
    ['a nested array', [good], 'SCHEMA'],
  ])('rejects %s', (_what, element, code) => {
    expect(codeOf(element)).toBe(code);
  });

  it('accepts a surrogate pair (an emoji) in a label value', () => {
    expect(codeOf({ ...good, labels: { host: 'a😀' } })).toBe('OK');
  });

  it('rejects samples over each limit and names the env var that changes it', () => {
    const limits: SampleLimits = { ...DEFAULT_SAMPLE_LIMITS, maxLabelsPerSeries: 2, maxNameLength: 5, maxLabelValueBytes: 4 };
    const short = { ...good, name: 'm' };
    const cases: [unknown, string, string][] = [
      [{ ...short, name: 'abcdef' }, 'LIMIT_NAME_LENGTH', 'MAX_NAME_LENGTH=5'],
      [{ ...short, labels: { abcdef: 'x' } }, 'LIMIT_NAME_LENGTH', 'MAX_NAME_LENGTH=5'],
      [{ ...short, labels: { a: '1', b: '2', c: '3' } }, 'LIMIT_LABELS', 'MAX_LABELS_PER_SERIES=2'],
      [{ ...short, labels: { a: '12345' } }, 'LIMIT_LABEL_VALUE_LENGTH', 'MAX_LABEL_VALUE_LENGTH=4'],
      // 3 characters, 6 UTF-8 bytes: the limit is in bytes.
      [{ ...short, labels: { a: 'ééé' } }, 'LIMIT_LABEL_VALUE_LENGTH', 'MAX_LABEL_VALUE_LENGTH=4'],
    ];
    for (const [element, code, key] of cases) {
      const r = new SampleValidator(limits).validate(element, 0, false);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.rejection.code).toBe(code);
        expect(r.rejection.reason).toContain(key);
      }
    }
    expect(codeOf({ ...good, name: 'abcde', labels: { a: '1234', b: 'éé' } }, limits)).toBe('OK');
  });

  it('rejects whole messages that are not UTF-8, not JSON, empty, too large or have too many samples', () => {
    const limits = { ...DEFAULT_SAMPLE_LIMITS, maxMessageBytes: 1000, maxSamplesPerMessage: 2 };
    const v = new SampleValidator(limits);
    const whole = (bytes: Uint8Array | null) => {
      const d = v.decodeMessage(bytes);
      return d.ok ? 'OK' : d.rejection.code;
    };
    expect(whole(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe('INVALID_UTF8');
    expect(whole(Buffer.from('{"name": '))).toBe('INVALID_JSON');
    expect(whole(null)).toBe('INVALID_JSON');
    expect(whole(Buffer.alloc(0))).toBe('INVALID_JSON');
    expect(whole(Buffer.alloc(1001, 0x20))).toBe('LIMIT_MESSAGE_BYTES');
    expect(whole(json([good, good, good]))).toBe('LIMIT_SAMPLES_PER_MESSAGE');
    expect(whole(json([good, good]))).toBe('OK');
    const d = v.decodeMessage(Buffer.alloc(1001, 0x20));
    expect(!d.ok && d.rejection.reason).toContain('MAX_MESSAGE_BYTES=1000');
  });

  it('accepts every valid sample unchanged (apart from empty label values)', () => {
    fc.assert(
      fc.property(validSample, (s) => {
        const r = validator.validate(s, 0, false);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const expected = Object.fromEntries(Object.entries(s.labels).filter(([, v]) => v !== ''));
        expect(r.sample).toEqual({ ...s, labels: expected });
        const viaBytes = validator.validateMessage(json([s]));
        expect(viaBytes.accepted).toHaveLength(1);
      }),
      { seed },
    );
  });

  it('rejects any sample with a __-prefixed label as RESERVED_LABEL', () => {
    fc.assert(
      fc.property(validSample, labelName, (s, suffix) => {
        expect(codeOf({ ...s, labels: { ...s.labels, [`__${suffix}`]: 'x' } })).toBe('RESERVED_LABEL');
      }),
      { seed },
    );
  });

  it('rejects, never truncates, a sample with more labels than the limit', () => {
    fc.assert(
      fc.property(metricName, fc.integer({ min: 0, max: 40 }), (name, n) => {
        const labels = Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));
        const r = new SampleValidator({ ...DEFAULT_SAMPLE_LIMITS, maxLabelsPerSeries: 20 }).validate({ name, labels, value: 1, timestamp: 0 }, 0, false);
        if (n <= 20) expect(r.ok && Object.keys(r.sample.labels).length).toBe(n);
        else expect(!r.ok && r.rejection.code).toBe('LIMIT_LABELS');
      }),
      { seed },
    );
  });

  it('never throws on arbitrary bytes and answers with a known code', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.json().map((s) => new Uint8Array(Buffer.from(s)))), (bytes) => {
        const out = validator.validateMessage(bytes);
        for (const r of out.rejected) expect(REJECTION_CODES).toContain(r.rejection.code);
      }),
      { seed },
    );
  });

  it('rejects a message nested deeper than MAX_JSON_DEPTH before parsing, counting brackets inside strings as text', () => {
    const limits = { ...DEFAULT_SAMPLE_LIMITS, maxJsonDepth: 3 };
    const depthCode = (text: string) => {
      const out = new SampleValidator(limits).validateMessage(Buffer.from(text));
      return out.rejected[0]?.rejection.code ?? 'OK';
    };
    expect(depthCode(JSON.stringify([good]))).toBe('OK');
    expect(depthCode(JSON.stringify([{ ...good, labels: { host: '[[[[{{{{\\"[[[' } }]))).toBe('OK');
    expect(depthCode(JSON.stringify([[good]]))).toBe('LIMIT_JSON_DEPTH');
    expect(depthCode('['.repeat(5000) + ']'.repeat(5000))).toBe('LIMIT_JSON_DEPTH');
    expect(new SampleValidator(limits).validateMessage(Buffer.from('[[[[]]]]')).rejected[0]?.rejection.reason).toBe(
      '$: arrays and objects nested deeper than MAX_JSON_DEPTH=3',
    );
  });

  it('agrees with a recursive depth count on arbitrary JSON', () => {
    const depthOf = (v: unknown): number =>
      typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
        const bytes = Buffer.from(JSON.stringify(value));
        expect(exceedsJsonDepth(bytes, maxDepth)).toBe(depthOf(value) > maxDepth);
      }),
      { seed },
    );
  });

  it.each([
    ['alone', '{"__proto__":"x"}'],
    ['beside another label', '{"__proto__":"x","k":"v"}'],
    ['holding an object', '{"__proto__":{"k":"v"},"k":"v"}'],
  ])('rejects __proto__ as a reserved label name %s, whatever JSON.parse made of it', (_, labels) => {
    const out = validator.validateMessage(Buffer.from(`{"name":"up","labels":${labels},"value":1,"timestamp":1}`));
    expect(out.accepted).toEqual([]);
    expect(out.rejected.map((r) => [r.rejection.code, r.rejection.reason])).toEqual([['RESERVED_LABEL', '$.labels.__proto__: label names starting with "__" are reserved']]);
  });

  it('keeps every label whose name is an Object.prototype member', () => {
    const labels = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', valueOf: 'd', isPrototypeOf: 'e' };
    const out = validator.validateMessage(Buffer.from(JSON.stringify({ ...good, labels })));
    expect(out.accepted.map((a) => Object.entries(a.sample.labels).sort())).toEqual([Object.entries(labels).sort()]);
  });
});
