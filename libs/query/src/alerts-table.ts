import type { Redis } from 'ioredis';
import { alerterKeys, formatDuration, formatValue, type AlertRecord, type AlertState } from '@ringtail/model';

/** One alert as the CLI and the API show it. */
export interface AlertRow {
  readonly alertname: string;
  readonly state: AlertState;
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly activeAtMs: number;
  readonly firedAtMs: number | null;
  readonly resolvedAtMs: number | null;
  /** The value at the alert's last state change. */
  readonly value: number | null;
}

const STATE_ORDER: Readonly<Record<AlertState, number>> = { firing: 0, pending: 1, resolved: 2 };

export function alertRow(a: AlertRecord, value: number | null = a.value): AlertRow {
  return {
    alertname: a.rule,
    state: a.state,
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    activeAtMs: a.activeAtMs,
    firedAtMs: a.firedAtMs,
    resolvedAtMs: a.resolvedAtMs,
    value,
  };
}

/** Every alert of `namespace` (firing, pending, recently resolved), firing first. Reads Redis; works on any instance. */
export async function listAlerts(redis: Redis, namespace: string): Promise<AlertRow[]> {
  const raw = await redis.hgetall(alerterKeys(namespace).alerts);
  return Object.values(raw)
    .map((json) => alertRow(JSON.parse(json) as AlertRecord))
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.alertname.localeCompare(b.alertname) || a.activeAtMs - b.activeAtMs);
}

function labelsOf(row: AlertRow): string {
  return Object.entries(row.labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A plain-text table of alerts for a terminal; `nowMs` gives the SINCE column. */
export function formatAlertsTable(rows: readonly AlertRow[], nowMs: number = Date.now()): string {
  const header = ['ALERT', 'STATE', 'SINCE', 'VALUE', 'LABELS'];
  const body = rows.map((r) => {
    const since = r.state === 'resolved' ? r.resolvedAtMs : r.state === 'firing' ? r.firedAtMs : r.activeAtMs;
    return [r.alertname, r.state, since === null ? '' : `${formatDuration(Math.max(0, Math.round((nowMs - since) / 1000) * 1000))} ago`, r.value === null ? 'NaN' : formatValue(r.value), labelsOf(r)];
  });
  if (body.length === 0) return 'no alerts\n';
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return `${[header, ...body].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}
