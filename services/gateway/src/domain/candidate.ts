import type { Rejection } from '@ringtail/model';

/**
 * A sample as a protocol decoder produced it, before the shared validator
 * judged it: the same shape as a sample on `metrics.raw`, so ingest's
 * `SampleValidator` decides about it exactly as it would about a raw message.
 */
export interface Candidate {
  readonly name: string | undefined;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly timestamp: number;
  /** Which data point of the request it came from (OTLP: one point can make many samples). */
  readonly point: number;
}

/** What a protocol decoder made of one request. */
export interface Conversion {
  readonly candidates: Candidate[];
  /** Rejected by the conversion itself (e.g. a type Ringtail does not store), before validation. */
  readonly rejected: ConversionRejection[];
  /** Stale markers (and OTLP points flagged "no recorded value"): dropped, counted, not errors. */
  readonly stale: number;
}

export interface ConversionRejection {
  readonly rejection: Rejection;
  readonly point: number;
  /** What the DLQ record holds. */
  readonly input: unknown;
}

/** `name{a="1",b="2"}`, for reasons and logs. */
export function describeSeries(name: string | undefined, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name ?? '<no __name__>'}{${pairs.join(',')}}`;
}
