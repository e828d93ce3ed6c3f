/**
 * OTLP → Prometheus names, per the OpenTelemetry "Prometheus and OpenMetrics
 * compatibility" rules: invalid characters become `_` (runs collapsed to one),
 * the unit is spelled out and appended unless the name already holds it, and a
 * monotonic cumulative sum ends in `_total`.
 */

// UCUM abbreviations OTLP uses, spelled the way Prometheus names spell units.
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tibibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams', Cel: 'celsius', Hz: 'hertz', '%': 'percent',
};
const PER_UNIT_WORDS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', min: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

export type PrometheusKind = 'gauge' | 'counter' | 'histogram' | 'summary';

/** Replaces what `allowed` does not match with `_` and collapses runs of `_`. */
function sanitize(text: string, invalid: RegExp): string {
  return text.replace(invalid, '_').replace(/_{2,}/g, '_');
}

/** The unit as a name suffix: `ms` → `milliseconds`, `{packet}` → ``, `By/s` → `bytes_per_second`, `1` → `ratio` for gauges. */
export function unitSuffix(unit: string, kind: PrometheusKind): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return '';
  if (bare === '1') return kind === 'gauge' ? 'ratio' : '';
  const [main = '', per] = bare.split('/', 2);
  const mainWord = main === '' || main === '1' ? '' : (UNIT_WORDS[main] ?? main);
  const perWord = per === undefined || per === '' ? '' : (PER_UNIT_WORDS[per] ?? UNIT_WORDS[per] ?? per);
  const word = perWord === '' ? mainWord : mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`;
  return sanitize(word, /[^a-zA-Z0-9_:]/g).replace(/^_+|_+$/g, '');
}

/** The Prometheus metric name of an OTLP metric (before `_bucket`/`_sum`/`_count`). */
export function prometheusMetricName(name: string, unit: string, kind: PrometheusKind): string {
  let base = sanitize(name, /[^a-zA-Z0-9_:]/g);
  if (/^[0-9]/.test(base)) base = `_${base}`;
  const words = base.split('_');
  const suffix = unitSuffix(unit, kind);
  if (suffix !== '' && !suffix.split('_').every((w) => words.includes(w))) base = `${base}_${suffix}`;
  if (kind === 'counter' && !base.endsWith('_total')) base = `${base}_total`;
  return base;
}

/** A Prometheus label name for an OTLP attribute key: invalid characters → `_`, a leading digit gets `key_`. */
export function prometheusLabelName(key: string): string {
  const name = sanitize(key, /[^a-zA-Z0-9_]/g);
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

/** The `le`/`quantile` label value: Prometheus' float formatting (`+Inf`, `0.5`, `1e+06`). */
export function formatBound(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
