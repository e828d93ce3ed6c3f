import { limitSetting, type Rejection, type Sample, type SampleLimits, type SampleValidator } from '@ringtail/model';
import { describeSeries, type Conversion } from './candidate.ts';

/** A rejected sample with what goes to the DLQ and the data point it came from. */
export interface RejectedSample {
  readonly rejection: Rejection;
  readonly input: unknown;
  readonly point: number;
}

/** A request's samples after judgement: the valid ones and every rejection. */
export interface JudgedRequest {
  readonly accepted: readonly Sample[];
  readonly rejected: readonly RejectedSample[];
  readonly stale: number;
}

/**
 * Judges every candidate with ingest's own `SampleValidator` (the one
 * definition of a valid sample), so ingest later accepts every sample the
 * gateway accepted. Each reason names the series; `sampleIndex` is the
 * candidate's position among the request's samples.
 */
export function judgeCandidates(validator: SampleValidator, conversion: Conversion): JudgedRequest {
  const accepted: Sample[] = [];
  const rejected: RejectedSample[] = [...conversion.rejected];
  conversion.candidates.forEach((c, index) => {
    const element = { name: c.name, labels: c.labels, value: c.value, timestamp: c.timestamp };
    const result = validator.validate(element, index, true);
    if (result.ok) {
      accepted.push(result.sample);
      return;
    }
    const reason = `${describeSeries(c.name, c.labels)} @${c.timestamp}: ${result.rejection.reason}`;
    // JSON has no NaN or Infinity: the DLQ copy spells a non-finite value as Prometheus does.
    const value = Number.isFinite(c.value) ? c.value : Number.isNaN(c.value) ? 'NaN' : c.value > 0 ? '+Inf' : '-Inf';
    rejected.push({ rejection: { ...result.rejection, reason }, input: { ...element, value }, point: c.point });
  });
  return { accepted, rejected, stale: conversion.stale };
}

/** One message for `metrics.raw`: a JSON array of samples and its size in bytes. */
export interface RawMessage {
  readonly value: string;
  readonly bytes: number;
  readonly samples: number;
}

/**
 * Packs samples into raw-topic messages (JSON arrays, the README's format),
 * each within `maxMessageBytes` and `maxSamplesPerMessage`, so ingest never
 * rejects a message as a whole. A sample that alone exceeds the byte limit is
 * returned as rejected (LIMIT_MESSAGE_BYTES) rather than split or truncated.
 */
export function packRawMessages(samples: readonly Sample[], limits: Pick<SampleLimits, 'maxMessageBytes' | 'maxSamplesPerMessage'>): { messages: RawMessage[]; tooLarge: RejectedSample[] } {
  if (samples.length === 0) return { messages: [], tooLarge: [] };
  // The common case, a request that fits one message, costs one stringify of the whole array.
  if (samples.length <= limits.maxSamplesPerMessage) {
    const value = JSON.stringify(samples);
    const bytes = Buffer.byteLength(value);
    if (bytes <= limits.maxMessageBytes) return { messages: [{ value, bytes, samples: samples.length }], tooLarge: [] };
  }
  const messages: RawMessage[] = [];
  const tooLarge: RejectedSample[] = [];
  let parts: string[] = [];
  let bytes = 2; // the brackets
  const flush = () => {
    if (parts.length === 0) return;
    messages.push({ value: `[${parts.join(',')}]`, bytes, samples: parts.length });
    parts = [];
    bytes = 2;
  };
  samples.forEach((sample, index) => {
    const json = JSON.stringify(sample);
    const size = Buffer.byteLength(json);
    if (size + 2 > limits.maxMessageBytes) {
      tooLarge.push({
        rejection: { code: 'LIMIT_MESSAGE_BYTES', reason: `${describeSeries(sample.name, sample.labels)}: one sample is ${size} bytes as JSON, over ${limitSetting(limits, 'maxMessageBytes')}`, sampleIndex: index },
        input: sample,
        point: -1,
      });
      return;
    }
    const extra = parts.length === 0 ? size : size + 1;
    if (bytes + extra > limits.maxMessageBytes || parts.length >= limits.maxSamplesPerMessage) flush();
    bytes += parts.length === 0 ? size : size + 1;
    parts.push(json);
  });
  flush();
  return { messages, tooLarge };
}
