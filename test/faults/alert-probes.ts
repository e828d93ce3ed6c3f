/**
 * Alerts the fault suite knows must fire: probe series that go above the
 * rule's threshold for a while (one firing notification due) and then back
 * below it for good (one resolved notification due). Phases last longer than
 * any fault's outage, so a delay can postpone a notification but never make
 * one legitimately disappear. Each (probe, status) must arrive as exactly one
 * signed notification: re-sends keep their `webhook-id`, a second id is a
 * duplicate.
 */
import type { RawSample } from '@ringtail/loadgen';
import type { ReceivedWebhook } from '@ringtail/webhooks';

export const PROBE_METRIC = 'fault_probe';
const HIGH = 100;
const LOW = 0;

/** The rule file of the suite's alerter: one alert per probe series, no grouping delay. */
export function probeRules(receiverUrl: string, secret: string): string {
  return `
receivers:
  - name: faults
    url: ${receiverUrl}
    secrets: [${secret}]
    group_by: ['...']
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 24h
    retry_initial: 200ms
    retry_max: 2s
rules:
  - alert: FaultProbeHigh
    selector: '${PROBE_METRIC}'
    aggregation: last
    window: 1m
    op: '>'
    threshold: 50
`;
}

export interface ProbeTimings {
  /** A new probe starts this often. */
  readonly everyMs: number;
  /** How long a probe stays above the threshold. */
  readonly highMs: number;
}

interface Probe {
  readonly id: string;
  readonly startMs: number;
  highAcked: boolean;
  lowAcked: boolean;
}

export class AlertProbes {
  private readonly probes: Probe[] = [];
  private nextStartMs: number;

  constructor(
    private readonly timings: ProbeTimings,
    startMs: number,
  ) {
    this.nextStartMs = startMs;
  }

  /**
   * Samples for this tick: every probe reports HIGH during its high phase and
   * LOW after it; `starting` is false once the run winds down (no new probes).
   */
  samples(nowMs: number, starting: boolean): { samples: RawSample[]; onAcked: () => void } {
    if (starting && nowMs >= this.nextStartMs) {
      this.probes.push({ id: String(this.probes.length), startMs: nowMs, highAcked: false, lowAcked: false });
      this.nextStartMs = nowMs + this.timings.everyMs;
    }
    const out: RawSample[] = [];
    const high: Probe[] = [];
    const low: Probe[] = [];
    for (const p of this.probes) {
      const isHigh = nowMs < p.startMs + this.timings.highMs;
      (isHigh ? high : low).push(p);
      out.push({ name: PROBE_METRIC, labels: { probe: p.id }, value: isHigh ? HIGH : LOW, timestamp: nowMs });
    }
    return {
      samples: out,
      onAcked: () => {
        for (const p of high) p.highAcked = true;
        for (const p of low) p.lowAcked = true;
      },
    };
  }

  /** Notifications due: a firing one for every probe that went high, a resolved one for every probe that came back. */
  expected(): { probe: string; status: 'firing' | 'resolved' }[] {
    const out: { probe: string; status: 'firing' | 'resolved' }[] = [];
    for (const p of this.probes) {
      if (p.highAcked) out.push({ probe: p.id, status: 'firing' });
      if (p.highAcked && p.lowAcked) out.push({ probe: p.id, status: 'resolved' });
    }
    return out;
  }
}

export interface WebhookAccount {
  readonly expected: number;
  /** Expected (probe, status) pairs no delivered notification carried. */
  readonly missing: number;
  /** Notification ids beyond the first for one (probe, status) pair. */
  readonly duplicates: number;
  /** Deliveries whose signature did not verify, or carried no id. */
  readonly unsigned: number;
  /** Delivered (probe, status) pairs that were not expected. */
  readonly unexpected: number;
}

/** Settles the delivered webhooks against what was due. */
export function accountWebhooks(due: readonly { probe: string; status: string }[], received: readonly ReceivedWebhook[]): WebhookAccount {
  const ids = new Map<string, Set<string>>();
  let unsigned = 0;
  for (const w of received) {
    if (w.status < 200 || w.status >= 300) continue;
    if (w.verified !== true || w.id === '') unsigned += 1;
    for (const a of w.json?.alerts ?? []) {
      const key = `${a.labels.probe}|${a.status}`;
      const set = ids.get(key) ?? new Set<string>();
      set.add(w.id);
      ids.set(key, set);
    }
  }
  const dueKeys = new Set(due.map((d) => `${d.probe}|${d.status}`));
  let missing = 0;
  let duplicates = 0;
  for (const key of dueKeys) {
    const n = ids.get(key)?.size ?? 0;
    if (n === 0) missing += 1;
    else duplicates += n - 1;
  }
  let unexpected = 0;
  for (const [key, set] of ids) if (!dueKeys.has(key)) unexpected += set.size;
  return { expected: dueKeys.size, missing, duplicates, unsigned, unexpected };
}
