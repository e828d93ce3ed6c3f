import { aggregateGroup, aggregateSeries, type SeriesWindows } from './aggregate.ts';
import type { AlertKind, AlertRecord } from '@ringtail/model';
import { alertId, step } from './alert.ts';
import { fingerprint, labelsText, pickLabels } from './fingerprint.ts';
import { compare, type Rule } from './rule.ts';

/** Per alert key: its labels and its aggregate, null when the key has no data. */
interface KeyValue {
  readonly keyLabels: Readonly<Record<string, string>>;
  readonly value: number | null;
}

/** Groups series into alert keys (one per series, or one per `by` label set) and aggregates each. */
export function keyValues(rule: Rule, series: readonly SeriesWindows[]): Map<string, KeyValue> {
  const out = new Map<string, KeyValue>();
  if (rule.by === null) {
    for (const s of series) {
      out.set(labelsText(s.labels), { keyLabels: s.labels, value: aggregateSeries(rule.aggregation, s.windows, rule.windowMs) });
    }
    return out;
  }
  const groups = new Map<string, { keyLabels: Record<string, string>; members: SeriesWindows[] }>();
  for (const s of series) {
    const keyLabels = pickLabels(s.labels, rule.by);
    const text = labelsText(keyLabels);
    const g = groups.get(text) ?? { keyLabels, members: [] };
    g.members.push(s);
    groups.set(text, g);
  }
  for (const [text, g] of groups) out.set(text, { keyLabels: g.keyLabels, value: aggregateGroup(rule.aggregation, g.members, rule.windowMs) });
  return out;
}

export const NODATA_LABEL = 'nodata';

function alertLabels(rule: Rule, kind: AlertKind, keyLabels: Readonly<Record<string, string>>, value: number | null): Record<string, string> {
  const labels: Record<string, string> = { ...keyLabels };
  for (const [name, t] of Object.entries(rule.labels)) labels[name] = t.render(keyLabels, value);
  if (kind === 'nodata') labels[NODATA_LABEL] = 'true';
  labels.alertname = rule.name;
  return labels;
}

function annotationsOf(rule: Rule, labels: Readonly<Record<string, string>>, value: number | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, t] of Object.entries(rule.annotations)) out[name] = t.render(labels, value);
  return out;
}

/** What one evaluation of one rule changed. */
export interface RuleEvaluation {
  /** Every alert of the rule after this evaluation, by id. */
  readonly alerts: Map<string, AlertRecord>;
  /** Alerts whose persisted form changed: the record, or null when deleted. */
  readonly changed: Map<string, AlertRecord | null>;
  /** The latest value of every live alert, by id (not persisted on every tick). */
  readonly values: Map<string, number | null>;
}

function sameLifecycle(a: AlertRecord, b: AlertRecord): boolean {
  return (
    a.state === b.state &&
    a.activeAtMs === b.activeAtMs &&
    a.firedAtMs === b.firedAtMs &&
    a.resolvedAtMs === b.resolvedAtMs &&
    a.keepFiringSinceMs === b.keepFiringSinceMs &&
    a.fingerprint === b.fingerprint &&
    JSON.stringify(a.annotations) === JSON.stringify(b.annotations)
  );
}

/**
 * Evaluates one rule at `nowMs` against the series its selector found, given
 * the rule's alerts before. Pure: the caller persists `changed` atomically.
 *
 * An alert key with no data this time (no windows in range, or the series is
 * gone) follows the rule's no-data policy. When the selector found no series
 * at all, policies `alerting` and `nodata` act on the empty key `{}`.
 */
export function evaluateRule(rule: Rule, series: readonly SeriesWindows[], previous: ReadonlyMap<string, AlertRecord>, nowMs: number): RuleEvaluation {
  const values = keyValues(rule, series);
  if (values.size === 0 && (rule.noData === 'alerting' || rule.noData === 'nodata')) values.set(labelsText({}), { keyLabels: {}, value: null });
  for (const a of previous.values()) {
    if (!values.has(a.keyText) && a.state !== 'resolved') {
      values.set(a.keyText, { keyLabels: a.keyLabels, value: null });
    }
  }

  const alerts = new Map<string, AlertRecord>();
  const changed = new Map<string, AlertRecord | null>();
  const latest = new Map<string, number | null>();
  for (const a of previous.values()) alerts.set(alertId(a.rule, a.kind, a.keyText), a);

  const apply = (kind: AlertKind, keyText: string, kv: KeyValue, condition: boolean) => {
    const id = alertId(rule.name, kind, keyText);
    const prev = previous.get(id);
    const next = step(prev, { condition, nowMs, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs });
    if (next === null) {
      alerts.delete(id);
      if (prev) changed.set(id, null);
      return;
    }
    if (next === prev) {
      if (next.state !== 'resolved') latest.set(id, kv.value);
      return;
    }
    const isNew = !prev || prev.state === 'resolved' || prev.state !== next.state;
    const labels = isNew || !prev ? alertLabels(rule, kind, kv.keyLabels, kv.value) : prev.labels;
    const record: AlertRecord = {
      rule: rule.name,
      kind,
      keyLabels: kv.keyLabels,
      keyText,
      fingerprint: isNew || !prev ? fingerprint(labels) : prev.fingerprint,
      labels,
      annotations: isNew || !prev ? annotationsOf(rule, labels, kv.value) : prev.annotations,
      ...next,
      value: isNew || !prev ? kv.value : prev.value,
    };
    alerts.set(id, record);
    if (!prev || !sameLifecycle(prev, record)) changed.set(id, record);
    if (record.state !== 'resolved') latest.set(id, kv.value);
  };

  for (const [keyText, kv] of values) {
    if (kv.value !== null) {
      const prev = previous.get(alertId(rule.name, 'data', keyText));
      const threshold = prev?.state === 'firing' && rule.resolveThreshold !== null ? rule.resolveThreshold : rule.threshold;
      apply('data', keyText, kv, compare(kv.value, rule.op, threshold));
      if (rule.noData === 'nodata') apply('nodata', keyText, kv, false);
      continue;
    }
    switch (rule.noData) {
      case 'ok':
        apply('data', keyText, kv, false);
        break;
      case 'alerting':
        apply('data', keyText, kv, true);
        break;
      case 'nodata':
        apply('data', keyText, kv, false);
        apply('nodata', keyText, kv, true);
        break;
      case 'keep':
        break;
    }
  }
  // Resolved alerts whose key vanished still age out.
  for (const [id, a] of previous) {
    if (a.state === 'resolved' && !values.has(a.keyText) && step(a, { condition: false, nowMs, forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs }) === null) {
      alerts.delete(id);
      changed.set(id, null);
    }
  }
  return { alerts, changed, values: latest };
}
