import { z } from 'zod';
import { limitSetting, type SampleLimits } from './limits.ts';
import type { RejectionCode } from './rejection.ts';

/** Prometheus metric name rule. */
export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Prometheus label name rule; names starting with `__` are reserved on top of it. */
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const RESERVED_LABEL_PREFIX = '__';
const RESERVED_MESSAGE = `label names starting with "${RESERVED_LABEL_PREFIX}" are reserved`;
// In `u` mode a surrogate pair is one code point, so this only matches a lone
// surrogate: JSON can carry one (`"\ud800"`) but it has no UTF-8 form, and the
// canonical series key is defined over UTF-8.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * One metric sample as it travels after validation.
 * `labels` never holds an empty value: Prometheus treats a label with an empty
 * value as absent, so `{host: ""}` and `{}` are the same series.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A finite number. */
  readonly value: number;
  /** Epoch milliseconds, a non-negative safe integer. */
  readonly timestamp: number;
}

/**
 * The zod schema of one sample on `metrics.raw` — the one definition of the
 * wire format (see services/ingest/README.md):
 * `{ "name": string, "labels"?: {string: string}, "value": number, "timestamp": integer ms }`.
 * Unknown keys are rejected (a typo like `"lables"` would otherwise silently
 * make another series). Custom issues carry `params.rejection`, a `RejectionCode`.
 */
export function createSampleSchema(limits: SampleLimits) {
  return z.strictObject({
    name: z.string().superRefine((name, ctx) => {
      const problem = checkMetricName(name, limits);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { rejection: problem.code } });
    }),
    // The names are judged on the input object, before zod copies it: a copy made by
    // assignment silently loses an own `__proto__` key (which JSON.parse does create),
    // and a label must be rejected or kept, never dropped.
    labels: z
      .unknown()
      .superRefine((labels, ctx) => {
        if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return; // the record schema names it
        // With a value of the wrong type the record schema names the type error, unless the key is
        // reserved: z.record would turn `"__proto__": {...}` into the copy's prototype, not an error.
        const problem = isStringRecord(labels) ? checkLabels(labels, limits) : reservedLabel(Object.keys(labels));
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem.message, path: problem.label === undefined ? [] : [problem.label], params: { rejection: problem.code } });
        }
      })
      .pipe(z.record(z.string(), z.string()).optional())
      .optional()
      .transform(withoutEmptyValues),
    value: z.number(),
    timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  });
}

export type SampleSchema = ReturnType<typeof createSampleSchema>;

/**
 * The common case of `createSampleSchema(limits)` without zod, for ingest's hot
 * path: the parsed sample when `element` is a valid sample in its plain form
 * (a JSON object as `JSON.parse` gives it), or undefined when the schema must
 * judge it. Never accepts what the schema rejects, and an accepted sample equals
 * the schema's output; undefined says nothing about validity (a valid sample in
 * an unusual form, such as one with a `__proto__` label, is left to the schema).
 */
export function parseValidSample(element: unknown, limits: SampleLimits): Sample | undefined {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return undefined;
  const e = element as Record<string, unknown>;
  for (const key in e) {
    if (key !== 'name' && key !== 'labels' && key !== 'value' && key !== 'timestamp') return undefined;
  }
  const { name, labels, value, timestamp } = e;
  if (typeof name !== 'string' || checkMetricName(name, limits) !== undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) return undefined;
  if (labels === undefined) return { name, labels: {}, value, timestamp };
  if (!isPlainStringRecord(labels) || checkLabels(labels, limits) !== undefined) return undefined;
  return { name, labels: withoutEmptyValues(labels), value, timestamp };
}

// An object whose own enumerable string keys all hold strings (what the label checks can judge).
function isStringRecord(labels: object): labels is Record<string, string> {
  return Object.values(labels).every((v) => typeof v === 'string');
}

function reservedLabel(names: readonly string[]): Problem | undefined {
  const label = names.find((n) => n.startsWith(RESERVED_LABEL_PREFIX));
  return label === undefined ? undefined : { code: 'RESERVED_LABEL', label, message: RESERVED_MESSAGE };
}

// What z.record(z.string(), z.string()) copies unchanged: a plain object of string values, no symbol keys.
function isPlainStringRecord(labels: unknown): labels is Record<string, string> {
  if (typeof labels !== 'object' || labels === null || Object.getPrototypeOf(labels) !== Object.prototype) return false;
  const record = labels as Record<string, unknown>;
  for (const label in record) if (typeof record[label] !== 'string') return false;
  return Object.getOwnPropertySymbols(labels).length === 0;
}

interface Problem {
  readonly code: RejectionCode;
  readonly message: string;
  readonly label?: string;
}

function checkMetricName(name: string, limits: SampleLimits): Problem | undefined {
  if (name.length > limits.maxNameLength) {
    return { code: 'LIMIT_NAME_LENGTH', message: `metric name is ${name.length} bytes, over ${limitSetting(limits, 'maxNameLength')}` };
  }
  if (!METRIC_NAME_PATTERN.test(name)) {
    return { code: 'INVALID_NAME', message: `metric name ${JSON.stringify(name)} does not match [a-zA-Z_:][a-zA-Z0-9_:]*` };
  }
  return undefined;
}

function checkLabels(labels: Record<string, string>, limits: SampleLimits): Problem | undefined {
  const names = Object.keys(labels);
  if (names.length > limits.maxLabelsPerSeries) {
    return { code: 'LIMIT_LABELS', message: `${names.length} labels, over ${limitSetting(limits, 'maxLabelsPerSeries')}` };
  }
  for (const label of names) {
    if (label.length > limits.maxNameLength) {
      return { code: 'LIMIT_NAME_LENGTH', label: label.slice(0, 64), message: `label name is ${label.length} bytes, over ${limitSetting(limits, 'maxNameLength')}` };
    }
    if (!LABEL_NAME_PATTERN.test(label)) {
      return { code: 'INVALID_LABEL_NAME', label, message: `label name ${JSON.stringify(label)} does not match [a-zA-Z_][a-zA-Z0-9_]*` };
    }
    if (label.startsWith(RESERVED_LABEL_PREFIX)) {
      return { code: 'RESERVED_LABEL', label, message: RESERVED_MESSAGE };
    }
    const value = labels[label] as string;
    // Worst case 3 UTF-8 bytes per UTF-16 unit: skip the exact count for the common short value.
    if (value.length * 3 > limits.maxLabelValueBytes) {
      const bytes = utf8ByteLength(value);
      if (bytes > limits.maxLabelValueBytes) {
        return { code: 'LIMIT_LABEL_VALUE_LENGTH', label, message: `label value is ${bytes} bytes, over ${limitSetting(limits, 'maxLabelValueBytes')}` };
      }
    }
    if (LONE_SURROGATE.test(value)) {
      return { code: 'INVALID_LABEL_VALUE', label, message: 'label value holds a lone UTF-16 surrogate (not encodable as UTF-8)' };
    }
  }
  return undefined;
}

function withoutEmptyValues(labels: Record<string, string> | undefined): Readonly<Record<string, string>> {
  if (labels === undefined) return {};
  for (const label in labels) {
    if (labels[label] === '') return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
  }
  return labels;
}

/** UTF-8 byte length of a well-formed string (a lone surrogate counts 3, as U+FFFD would). */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
