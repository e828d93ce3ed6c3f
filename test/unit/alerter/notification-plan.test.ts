import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '@ringtail/model';
import { idOf } from '../../../services/alerter/src/domain/alert.ts';
import { planNotifications, type GroupState, type Notification, type Routing } from '../../../services/alerter/src/domain/notification-plan.ts';
import type { Receiver } from '../../../services/alerter/src/domain/rule.ts';
import { ruleSetOf } from './helpers.ts';

const T0 = 1_700_000_000_000;
const base = ruleSetOf('  []').receivers.get('ops')!;

function alert(name: string, host: string, state: AlertRecord['state'], atMs = T0): AlertRecord {
  const labels = { alertname: name, host };
  return {
    rule: name,
    kind: 'data',
    keyLabels: { host },
    keyText: `{host="${host}"}`,
    fingerprint: `${name}-${host}`,
    labels,
    annotations: { summary: `${host} is hot` },
    state,
    activeAtMs: atMs,
    firedAtMs: state === 'pending' ? null : atMs,
    resolvedAtMs: state === 'resolved' ? atMs : null,
    keepFiringSinceMs: null,
    value: 93,
  };
}

/** Runs the planner tick by tick, keeping group state like the evaluator does. */
class Planner {
  groups = new Map<string, GroupState>();
  sent: Notification[] = [];
  constructor(readonly receiver: Receiver) {}
  tick(nowMs: number, alerts: AlertRecord[]): Notification[] {
    const routing: Routing = { receiverOfRule: () => this.receiver, receiver: () => this.receiver };
    const plan = planNotifications(alerts, new Map(), routing, this.groups, nowMs, idOf);
    for (const [k, g] of plan.groups) (g ? this.groups.set(k, g) : this.groups.delete(k));
    this.sent.push(...plan.notifications);
    return [...plan.notifications];
  }
}

const bodyOf = (n: Notification) => JSON.parse(n.body) as { status: string; alerts: { status: string; fingerprint: string; endsAt: string }[]; groupLabels: object; commonLabels: object; version: string };

describe('notification grouping', () => {
  it('sends a firing notification once and a resolved one once', () => {
    const p = new Planner({ ...base, groupWaitMs: 0, groupIntervalMs: 10_000 });
    const [firing] = p.tick(T0, [alert('High', 'a', 'firing')]);
    expect(bodyOf(firing!)).toMatchObject({ version: '4', status: 'firing', groupLabels: { alertname: 'High' }, commonLabels: { alertname: 'High', host: 'a' } });
    expect(p.tick(T0 + 5_000, [alert('High', 'a', 'firing')])).toEqual([]);
    expect(p.tick(T0 + 6_000, [alert('High', 'a', 'resolved', T0 + 6_000)])).toEqual([]);
    const [resolved] = p.tick(T0 + 10_000, [alert('High', 'a', 'resolved', T0 + 6_000)]);
    expect(bodyOf(resolved!)).toMatchObject({ status: 'resolved', alerts: [{ status: 'resolved', endsAt: new Date(T0 + 6_000).toISOString() }] });
    expect(p.tick(T0 + 60_000, [alert('High', 'a', 'resolved', T0 + 6_000)])).toEqual([]);
    expect(new Set(p.sent.map((n) => n.id)).size).toBe(2);
  });

  it('waits group_wait for a new group and batches alerts arriving meanwhile', () => {
    const p = new Planner({ ...base, groupWaitMs: 5_000 });
    expect(p.tick(T0, [alert('High', 'a', 'firing')])).toEqual([]);
    expect(p.tick(T0 + 2_000, [alert('High', 'a', 'firing'), alert('High', 'b', 'firing')])).toEqual([]);
    const [n] = p.tick(T0 + 5_000, [alert('High', 'a', 'firing'), alert('High', 'b', 'firing')]);
    expect(bodyOf(n!).alerts.map((a) => a.fingerprint)).toEqual(['High-a', 'High-b']);
  });

  it('sends changes to a group no sooner than group_interval after its last notification', () => {
    const p = new Planner({ ...base, groupWaitMs: 0, groupIntervalMs: 30_000 });
    p.tick(T0, [alert('High', 'a', 'firing')]);
    expect(p.tick(T0 + 1_000, [alert('High', 'a', 'firing'), alert('High', 'b', 'firing')])).toEqual([]);
    expect(p.tick(T0 + 29_999, [alert('High', 'a', 'firing'), alert('High', 'b', 'firing')])).toEqual([]);
    expect(p.tick(T0 + 30_000, [alert('High', 'a', 'firing'), alert('High', 'b', 'firing')])).toHaveLength(1);
  });

  it('repeats an unchanged firing group every repeat_interval', () => {
    const p = new Planner({ ...base, groupWaitMs: 0, repeatIntervalMs: 60_000 });
    p.tick(T0, [alert('High', 'a', 'firing')]);
    expect(p.tick(T0 + 59_000, [alert('High', 'a', 'firing')])).toEqual([]);
    const [again] = p.tick(T0 + 60_000, [alert('High', 'a', 'firing')]);
    expect(again!.id).not.toBe(p.sent[0]!.id);
  });

  it('groups by receiver group_by labels and never notifies pending alerts', () => {
    const p = new Planner({ ...base, groupBy: ['host'] });
    const sent = p.tick(T0, [alert('High', 'a', 'firing'), alert('Low', 'a', 'firing'), alert('High', 'b', 'firing'), alert('Mid', 'c', 'pending')]);
    expect(sent.map((n) => bodyOf(n).groupLabels)).toEqual([{ host: 'a' }, { host: 'b' }]);
  });

  it('leaves resolved alerts out when send_resolved is false', () => {
    const p = new Planner({ ...base, sendResolved: false, groupIntervalMs: 0 });
    p.tick(T0, [alert('High', 'a', 'firing')]);
    expect(p.tick(T0 + 1_000, [alert('High', 'a', 'resolved')])).toEqual([]);
    expect(p.groups.size).toBe(0);
  });
});
