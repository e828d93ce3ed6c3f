/**
 * Why ingest rejected input. Codes are stable (dashboards and DLQ consumers key
 * on them); reasons are for people and may change wording.
 */
export const REJECTION_CODES = [
  // Whole message.
  'INVALID_UTF8',
  'INVALID_JSON',
  'LIMIT_MESSAGE_BYTES',
  'LIMIT_SAMPLES_PER_MESSAGE',
  'LIMIT_JSON_DEPTH',
  // A message or one sample: ingest itself failed on it (a bug), so it is set aside instead of stopping the consumer.
  'INTERNAL_ERROR',
  // One sample.
  'SCHEMA',
  'INVALID_NAME',
  'INVALID_LABEL_NAME',
  'RESERVED_LABEL',
  'INVALID_LABEL_VALUE',
  'NON_FINITE_VALUE',
  'INVALID_TIMESTAMP',
  'LIMIT_LABELS',
  'LIMIT_NAME_LENGTH',
  'LIMIT_LABEL_VALUE_LENGTH',
  'LIMIT_CARDINALITY',
  // Gateway: a data type Ringtail does not store (native or exponential histograms, delta temporality).
  'UNSUPPORTED_TYPE',
  // One sample, judged against its Kafka record's timestamp (see judgeSampleAge).
  'TIMESTAMP_TOO_OLD',
  'TIMESTAMP_TOO_NEW',
  // A whole shard-topic record a shard worker could not decode (its coordinates are the shard topic's).
  'SHARD_RECORD_CORRUPT',
] as const;

export type RejectionCode = (typeof REJECTION_CODES)[number];

/** One rejected message or sample. */
export interface Rejection {
  readonly code: RejectionCode;
  /** Path, what is wrong and, for a limit, the `ENV_KEY=value` that sets it. */
  readonly reason: string;
  /**
   * Index of the sample in the message (0 for a single-object message);
   * undefined when the whole message was rejected.
   */
  readonly sampleIndex?: number;
}
