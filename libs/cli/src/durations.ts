import { DURATION_EXAMPLES, parseDurationMs } from '@ringtail/model';

function usageError(message: string): Error {
  return Object.assign(new Error(message), { code: 'USAGE' });
}

/** A duration option in Ringtail's one grammar (see libs/model durations.ts); throws a usage error naming `what`. */
export function durationOption(text: string, what: string): number {
  const ms = parseDurationMs(text);
  if (ms === null) throw usageError(`${what}: expected a duration like ${DURATION_EXAMPLES}; got '${text}'`);
  return ms;
}

/** Parses an absolute time: epoch ms, an ISO date, `now`, or `now-15m`. */
export function parseTimeMs(text: string, what: string, nowMs: number): number {
  if (text === 'now') return nowMs;
  const rel = /^now-(.+)$/.exec(text);
  if (rel) return nowMs - durationOption(rel[1]!, what);
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw usageError(`${what}: expected epoch ms, an ISO time, now or now-<duration>; got '${text}'`);
  return parsed;
}
