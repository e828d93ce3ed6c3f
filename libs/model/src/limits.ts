/**
 * Input limits a sample must respect. A sample over a limit is rejected with a
 * code naming the limit and the environment variable that changes it, never
 * truncated.
 */
export interface SampleLimits {
  /** Labels per sample as sent (including empty-valued ones). */
  readonly maxLabelsPerSeries: number;
  /** Length of the metric name and of each label name, in bytes (both are ASCII). */
  readonly maxNameLength: number;
  /** Length of each label value, in UTF-8 bytes. */
  readonly maxLabelValueBytes: number;
  /** Size of one Kafka message value on the raw topic, in bytes. */
  readonly maxMessageBytes: number;
  /** Samples in one message (a JSON array). */
  readonly maxSamplesPerMessage: number;
  /** Distinct series per metric name seen by one ingest instance (see `SeriesCardinalityLimiter`). */
  readonly maxSeriesPerMetric: number;
  /**
   * Nesting of JSON arrays and objects in one message (a valid array message is
   * 3 deep: array, sample, labels). Checked before parsing, so no later step that
   * recurses over the parsed value (the schema, the DLQ's re-serialisation) can
   * overflow the stack.
   */
  readonly maxJsonDepth: number;
}

/** The environment variable that sets each limit: named in every rejection reason. */
export const LIMIT_ENV_KEYS = {
  maxLabelsPerSeries: 'MAX_LABELS_PER_SERIES',
  maxNameLength: 'MAX_NAME_LENGTH',
  maxLabelValueBytes: 'MAX_LABEL_VALUE_LENGTH',
  maxMessageBytes: 'MAX_MESSAGE_BYTES',
  maxSamplesPerMessage: 'MAX_SAMPLES_PER_MESSAGE',
  maxSeriesPerMetric: 'MAX_SERIES_PER_METRIC',
  maxJsonDepth: 'MAX_JSON_DEPTH',
} as const satisfies Record<keyof SampleLimits, string>;

const MIB = 1024 * 1024;

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = {
  maxLabelsPerSeries: 32,
  maxNameLength: 200,
  maxLabelValueBytes: 1024,
  maxMessageBytes: MIB,
  maxSamplesPerMessage: 10_000,
  maxSeriesPerMetric: 100_000,
  maxJsonDepth: 32,
};

/** `KEY=value` as written in rejection reasons, e.g. `MAX_LABELS_PER_SERIES=32`. */
export function limitSetting<K extends keyof SampleLimits>(limits: Pick<SampleLimits, K>, key: K): string {
  return `${LIMIT_ENV_KEYS[key]}=${limits[key]}`;
}
