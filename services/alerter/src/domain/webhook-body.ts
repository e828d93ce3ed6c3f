/** An alert as reported in a notification; `endsAtMs` null while firing. */
export interface NotifiedAlert {
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAtMs: number;
  readonly endsAtMs: number | null;
  readonly value: number | null;
}

/** Alertmanager's "zero time" for a firing alert's endsAt. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function common<T extends Readonly<Record<string, string>>>(sets: readonly T[]): Record<string, string> {
  if (sets.length === 0) return {};
  const out: Record<string, string> = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}

/**
 * The JSON body of a notification, compatible with Alertmanager's webhook
 * payload version 4, plus each alert's `value` at notification time.
 */
export function webhookBody(
  receiver: string,
  groupKey: string,
  groupLabels: Readonly<Record<string, string>>,
  firing: readonly NotifiedAlert[],
  resolved: readonly NotifiedAlert[],
): string {
  const all = [...firing, ...resolved];
  return JSON.stringify({
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: firing.length > 0 ? 'firing' : 'resolved',
    receiver,
    groupLabels,
    commonLabels: common(all.map((a) => a.labels)),
    commonAnnotations: common(all.map((a) => a.annotations)),
    externalURL: '',
    alerts: all.map((a) => ({
      status: a.endsAtMs === null ? 'firing' : 'resolved',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAtMs).toISOString(),
      endsAt: a.endsAtMs === null ? ZERO_TIME : new Date(a.endsAtMs).toISOString(),
      generatorURL: '',
      fingerprint: a.fingerprint,
      value: a.value,
    })),
  });
}
