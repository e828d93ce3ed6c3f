import fc from 'fast-check';

/** Valid Prometheus metric names. */
export const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/);
/** Valid, non-reserved label names. */
export const labelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/);
/** Label values: any well-formed Unicode, including quotes, backslashes and newlines. */
export const labelValue = fc.string({ unit: 'grapheme', maxLength: 20 });
export const labels = fc.dictionary(labelName, labelValue, { maxKeys: 8 });

/** A sample that passes validation under the default limits. */
export const validSample = fc.record({
  name: metricName,
  labels,
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});
