const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `5m`, `1h`, `7d` (or a bare number of ms); throws naming `what`. */
export function parseDurationMs(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw Object.assign(new Error(`${what}: expected a duration like 500ms, 10s, 5m, 1h; got '${text}'`), { code: 'USAGE' });
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
}

/** Parses an absolute time: epoch ms, an ISO date, `now`, or `now-15m`. */
export function parseTimeMs(text: string, what: string, nowMs: number): number {
  if (text === 'now') return nowMs;
  const rel = /^now-(.+)$/.exec(text);
  if (rel) return nowMs - parseDurationMs(rel[1]!, what);
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw Object.assign(new Error(`${what}: expected epoch ms, an ISO time, now or now-<duration>; got '${text}'`), { code: 'USAGE' });
  return parsed;
}
