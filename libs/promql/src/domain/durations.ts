/**
 * Durations as Prometheus writes them (`5m`, `1h30m`, `1w`, `2y`, `250ms`; `0`),
 * and the API's duration parameters, which may also be float seconds (`15`, `0.5`).
 * Unlike Ringtail's own duration grammar (libs/model durations.ts) PromQL has
 * `y` (365 d) and `w`: queries written for Prometheus must parse unchanged.
 */

const UNITS_MS: readonly [string, number][] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds of a Prometheus duration; null when `text` is not one. */
export function parsePromDurationMs(text: string): number | null {
  if (text === '0') return 0;
  const m = DURATION.exec(text);
  if (m === null || text === '') return null;
  let total = 0;
  UNITS_MS.forEach(([, ms], i) => {
    const n = m[i + 1];
    if (n !== undefined) total += Number(n) * ms;
  });
  return Number.isSafeInteger(total) ? total : null;
}

/** An API duration parameter (`step`, `timeout`): float seconds or a Prometheus duration; null when neither. */
export function parseApiDurationMs(text: string): number | null {
  const trimmed = text.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
    const ms = Math.round(Number(trimmed) * 1000);
    return Number.isSafeInteger(ms) ? ms : null;
  }
  return parsePromDurationMs(trimmed);
}
