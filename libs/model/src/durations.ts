/**
 * The one duration grammar of Ringtail, for rule files, RESOLUTIONS and the
 * command line alike — Prometheus' grammar without `y` and `w`:
 *
 *   duration := "0" | part+        part := digits unit        unit := d | h | m | s | ms
 *
 * Units appear from largest to smallest, each at most once (`1h30m`, `90s`,
 * `250ms`, `0s`); no sign, no fraction, no spaces, no bare number other than `0`.
 */
const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const PART = /(\d+)(ms|d|h|m|s)/y;

/** What a message about a malformed duration shows as the expected form. */
export const DURATION_EXAMPLES = '0s, 250ms, 10s, 5m, 1h30m, 7d';

/**
 * Milliseconds of `text` in the grammar above (surrounding whitespace ignored);
 * null when malformed or beyond Number.MAX_SAFE_INTEGER. Zero is a valid
 * duration: callers that need a positive one check it.
 */
export function parseDurationMs(text: string): number | null {
  const t = text.trim();
  if (t === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let lastUnit = -1;
  while (PART.lastIndex < t.length) {
    const m = PART.exec(t);
    if (!m) return null;
    const unit = UNITS.findIndex(([u]) => u === m[2]);
    if (unit <= lastUnit) return null;
    lastUnit = unit;
    total += Number(m[1]) * UNITS[unit]![1];
  }
  return lastUnit >= 0 && Number.isSafeInteger(total) ? total : null;
}

/** `ms` (a non-negative integer) as the shortest text in the grammar: 90000 → `1m30s`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
