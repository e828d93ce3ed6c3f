/**
 * The fault suite's burst of malformed input: every kind of bad message the
 * bad-input and hostile-input tests know, plus deep nesting, huge arrays,
 * prototype-named keys, invalid UTF-8 and awkward numbers. Each bad message or
 * sample carries the DLQ code it must get; the valid samples mixed in with them
 * (`-0`, labels named `constructor`, multi-byte UTF-8) must be counted exactly.
 * The codes are written down here from the documented rules, not computed by
 * Ringtail's own validator.
 */
import type { RawSample } from '@ringtail/loadgen';
import { DEFAULT_SAMPLE_LIMITS } from '@ringtail/model';

export interface MalformedMessage {
  readonly value: Buffer | null;
  /** The DLQ codes this message must produce, one per rejected sample (one for a whole-message rejection). */
  readonly codes: readonly string[];
  /** Samples of this message that are valid and must be counted. */
  readonly valid: readonly RawSample[];
}

const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);
const text = (s: string) => Buffer.from(s, 'utf8');
const json = (o: unknown) => text(JSON.stringify(o));

/** One burst: each kind once, stamped `nowMs`; `tag` keeps the burst's valid series apart from other bursts'. */
export function malformedBurst(tag: string, nowMs: number): MalformedMessage[] {
  const ok = (labels: Record<string, string> = { burst: tag }, value = 1): RawSample => ({ name: 'fault_awkward', labels, value, timestamp: nowMs });
  const bad = (value: Buffer | null, code: string): MalformedMessage => ({ value, codes: [code], valid: [] });
  const manySamples = Array.from({ length: DEFAULT_SAMPLE_LIMITS.maxSamplesPerMessage + 1 }, () => ok());
  const manyLabels = Object.fromEntries(Array.from({ length: DEFAULT_SAMPLE_LIMITS.maxLabelsPerSeries + 1 }, (_, i) => [`l${i}`, 'v']));
  const negativeZero = ok({ burst: tag, kind: 'negative-zero' }, -0);
  const prototypeNamed = ok({ burst: tag, constructor: 'c', toString: 't', hasOwnProperty: 'h', valueOf: 'v' }, 3);
  const unicode = ok({ burst: tag, city: 'Zürich ☃ 東京 🦝' }, 4);
  const mixedGood = ok({ burst: tag, kind: 'mixed' }, 5);
  return [
    bad(text(`{"name":"m","labels":{`), 'INVALID_JSON'),
    bad(text(`{"name":"m","labels":{},"value":NaN,"timestamp":${nowMs}}`), 'INVALID_JSON'),
    bad(text(''), 'INVALID_JSON'),
    bad(null, 'INVALID_JSON'),
    bad(json({ ...ok(), value: '1' }), 'SCHEMA'),
    bad(json({ name: 'm', labels: {}, value: 1 }), 'SCHEMA'),
    bad(json(42), 'SCHEMA'),
    bad(text(`{"name":"m","labels":{},"value":1e400,"timestamp":${nowMs}}`), 'NON_FINITE_VALUE'),
    bad(json({ ...ok(), value: 'Infinity' }), 'NON_FINITE_VALUE'),
    bad(json({ ...ok(), labels: { big: 'x'.repeat(DEFAULT_SAMPLE_LIMITS.maxLabelValueBytes + 1) } }), 'LIMIT_LABEL_VALUE_LENGTH'),
    bad(json({ ...ok(), labels: manyLabels }), 'LIMIT_LABELS'),
    bad(json({ ...ok(), name: '1bad-name' }), 'INVALID_NAME'),
    bad(json({ ...ok(), labels: { 'bad-label': 'x' } }), 'INVALID_LABEL_NAME'),
    bad(Buffer.concat([text('{"name":"m","labels":{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), text(`"},"value":1,"timestamp":${nowMs}}`)]), 'INVALID_UTF8'),
    bad(json({ ...ok(), labels: { __name__: 'x' } }), 'RESERVED_LABEL'),
    bad(text(`{"name":"m","labels":{"__proto__":"x"},"value":1,"timestamp":${nowMs}}`), 'RESERVED_LABEL'),
    bad(text(`{"name":"m","labels":{"__proto__":"x","k":"v"},"value":1,"timestamp":${nowMs}}`), 'RESERVED_LABEL'),
    bad(text(deep('[', ']', 5000)), 'LIMIT_JSON_DEPTH'),
    bad(text(`{"name":"m","labels":{"a":${deep('[', ']', 5000)}},"value":1,"timestamp":${nowMs}}`), 'LIMIT_JSON_DEPTH'),
    bad(text(`{"name":"m","labels":{},"value":${'{"a":'.repeat(4000)}1${'}'.repeat(4000)},"timestamp":${nowMs}}`), 'LIMIT_JSON_DEPTH'),
    bad(json(manySamples), 'LIMIT_SAMPLES_PER_MESSAGE'),
    bad(text(`[${new Array(200_000).fill('0').join(',')}]`), 'LIMIT_SAMPLES_PER_MESSAGE'),
    bad(json({ ...ok(), timestamp: 0 }), 'TIMESTAMP_TOO_OLD'),
    bad(json({ ...ok(), timestamp: nowMs + 3_600_000 }), 'TIMESTAMP_TOO_NEW'),
    // Valid samples beside bad ones in one array: the bad ones go to the DLQ one by one.
    { value: json([mixedGood, { ...mixedGood, labels: { __reserved: 'x' } }, { ...mixedGood, value: '1' }]), codes: ['RESERVED_LABEL', 'SCHEMA'], valid: [mixedGood] },
    // Awkward but valid: each must be counted, none may vanish or lose a label.
    { value: text(`{"name":"fault_awkward","labels":${JSON.stringify(negativeZero.labels)},"value":-0,"timestamp":${nowMs}}`), codes: [], valid: [negativeZero] },
    { value: json(prototypeNamed), codes: [], valid: [prototypeNamed] },
    { value: json(unicode), codes: [], valid: [unicode] },
  ];
}
