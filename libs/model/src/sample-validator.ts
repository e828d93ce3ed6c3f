import type { z } from 'zod';
import { exceedsJsonDepth } from './json-depth.ts';
import { limitSetting, type SampleLimits } from './limits.ts';
import type { Rejection, RejectionCode } from './rejection.ts';
import { createSampleSchema, parseValidSample, type Sample, type SampleSchema } from './sample-schema.ts';

/** The elements of one raw message, or why the whole message was rejected. */
export type DecodedMessage =
  | { readonly ok: true; readonly elements: readonly unknown[]; /** true when the message was a JSON array */ readonly array: boolean }
  | { readonly ok: false; readonly rejection: Rejection };

export type SampleResult = { readonly ok: true; readonly sample: Sample } | { readonly ok: false; readonly rejection: Rejection };

/** Everything one message gave: valid samples with their index, rejections with the offending input. */
export interface ValidatedMessage {
  readonly accepted: readonly { readonly index: number; readonly sample: Sample }[];
  readonly rejected: readonly { readonly rejection: Rejection; /** the sample as parsed; absent for a whole-message rejection */ readonly input?: unknown }[];
}

// Spellings of non-finite numbers a producer might send as strings (Go, Prometheus text format, JS).
const NON_FINITE_SPELLING = /^\s*[+-]?(nan|inf|infinity)\s*$/i;

/**
 * Validates raw messages: bytes → JSON → samples. Pure and synchronous.
 *
 * A message is rejected as a whole when it is too large, not UTF-8, nested
 * deeper than `maxJsonDepth`, not JSON, or an array of more than
 * `maxSamplesPerMessage` samples. Otherwise each sample
 * is judged on its own: the invalid ones are rejected one by one and the valid
 * ones accepted, so one bad sample never costs its neighbours.
 */
export class SampleValidator {
  private readonly schema: SampleSchema;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

  constructor(readonly limits: SampleLimits) {
    this.schema = createSampleSchema(limits);
  }

  /** Splits a message into its sample elements (one for a JSON object). `null` bytes (a tombstone) is INVALID_JSON. */
  decodeMessage(bytes: Uint8Array | null): DecodedMessage {
    if (bytes === null || bytes.length === 0) return reject('INVALID_JSON', '$: empty message');
    if (bytes.length > this.limits.maxMessageBytes) {
      return reject('LIMIT_MESSAGE_BYTES', `$: message is ${bytes.length} bytes, over ${limitSetting(this.limits, 'maxMessageBytes')}`);
    }
    let text: string;
    try {
      text = this.utf8.decode(bytes);
    } catch {
      return reject('INVALID_UTF8', '$: message bytes are not valid UTF-8');
    }
    if (exceedsJsonDepth(bytes, this.limits.maxJsonDepth)) {
      return reject('LIMIT_JSON_DEPTH', `$: arrays and objects nested deeper than ${limitSetting(this.limits, 'maxJsonDepth')}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return reject('INVALID_JSON', `$: ${err instanceof Error ? err.message : 'not JSON'}`);
    }
    if (!Array.isArray(parsed)) return { ok: true, elements: [parsed], array: false };
    if (parsed.length > this.limits.maxSamplesPerMessage) {
      return reject('LIMIT_SAMPLES_PER_MESSAGE', `$: ${parsed.length} samples, over ${limitSetting(this.limits, 'maxSamplesPerMessage')}`);
    }
    return { ok: true, elements: parsed, array: true };
  }

  /** Judges one element of a message; `index` is its position (0 for a single-object message). */
  validate(element: unknown, index: number, array: boolean): SampleResult {
    // Most samples are valid: check them by hand and leave the rest (and every rejection's wording) to zod.
    const sample = parseValidSample(element, this.limits);
    if (sample !== undefined) return { ok: true, sample };
    const parsed = this.schema.safeParse(element);
    if (parsed.success) return { ok: true, sample: parsed.data };
    return { ok: false, rejection: toRejection(parsed.error.issues[0], element, index, array) };
  }

  /** `decodeMessage` then `validate` of every element. */
  validateMessage(bytes: Uint8Array | null): ValidatedMessage {
    const decoded = this.decodeMessage(bytes);
    if (!decoded.ok) return { accepted: [], rejected: [{ rejection: decoded.rejection }] };
    const accepted: { index: number; sample: Sample }[] = [];
    const rejected: { rejection: Rejection; input: unknown }[] = [];
    decoded.elements.forEach((element, index) => {
      const r = this.validate(element, index, decoded.array);
      if (r.ok) accepted.push({ index, sample: r.sample });
      else rejected.push({ rejection: r.rejection, input: element });
    });
    return { accepted, rejected };
  }
}

function reject(code: RejectionCode, reason: string): DecodedMessage {
  return { ok: false, rejection: { code, reason } };
}

/** The JSONPath-like location of a sample in its message: `$` or `$[3]`. */
export function samplePath(index: number, array: boolean): string {
  return array ? `$[${index}]` : '$';
}

function toRejection(issue: z.core.$ZodIssue | undefined, element: unknown, index: number, array: boolean): Rejection {
  const path = samplePath(index, array) + (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const message = issue?.message ?? 'invalid sample';
  return { code: codeOf(issue, element), reason: `${path}: ${message}`, sampleIndex: index };
}

function codeOf(issue: z.core.$ZodIssue | undefined, element: unknown): RejectionCode {
  if (issue === undefined) return 'SCHEMA';
  if (issue.code === 'custom') {
    const rejection = (issue.params as { rejection?: RejectionCode } | undefined)?.rejection;
    if (rejection !== undefined) return rejection;
  }
  const field = issue.path[0];
  if (field === 'value') {
    const value = (element as { value?: unknown }).value;
    if (typeof value === 'number' && !Number.isFinite(value)) return 'NON_FINITE_VALUE';
    if (typeof value === 'string' && NON_FINITE_SPELLING.test(value)) return 'NON_FINITE_VALUE';
  }
  // A number that is fractional, negative or unsafe; a non-number is a SCHEMA error.
  if (field === 'timestamp' && typeof (element as { timestamp?: unknown }).timestamp === 'number') return 'INVALID_TIMESTAMP';
  return 'SCHEMA';
}
