import type { AlertRecord } from '@ringtail/model';
import { fingerprint, labelsText, pickLabels } from './fingerprint.ts';
import type { Receiver } from './rule.ts';
import { webhookBody, type NotifiedAlert } from './webhook-body.ts';

/**
 * Persisted state of one notification group (receiver + group labels), as in
 * Alertmanager's aggregation groups: when the next flush is due, when the
 * last one went out, and which alerts it reported as firing (so their
 * resolution is reported even after the alert itself is forgotten).
 */
export interface GroupState {
  readonly key: string;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly createdAtMs: number;
  readonly seq: number;
  readonly nextFlushAtMs: number | null;
  readonly lastSentAtMs: number | null;
  readonly notified: Readonly<Record<string, NotifiedAlert>>;
}

/** A notification ready for the outbox. `id` is the stable `webhook-id`. */
export interface Notification {
  readonly id: string;
  readonly receiver: string;
  readonly groupKey: string;
  readonly body: string;
  readonly createdAtMs: number;
}

/** Which receiver a rule notifies, and receivers by name. */
export interface Routing {
  receiverOfRule(rule: string): Receiver | undefined;
  receiver(name: string): Receiver | undefined;
}

export interface NotificationPlan {
  readonly notifications: readonly Notification[];
  /** Group states to write (or null to delete), by group key. */
  readonly groups: Map<string, GroupState | null>;
}

function snapshot(a: AlertRecord, value: number | null): NotifiedAlert {
  return {
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    startsAtMs: a.firedAtMs ?? a.activeAtMs,
    endsAtMs: null,
    value,
  };
}

/**
 * Decides which groups notify now. Pure: given every alert, the routing of
 * rules to receivers, the previous group states and the time, returns the
 * notifications and the new group states. Semantics follow Alertmanager: a
 * new group waits `group_wait`; a change in an existing group is sent no
 * sooner than `group_interval` after the group's last notification; an
 * unchanged firing group is re-sent every `repeat_interval`.
 */
export function planNotifications(
  alerts: Iterable<AlertRecord>,
  values: ReadonlyMap<string, number | null>,
  routing: Routing,
  previous: ReadonlyMap<string, GroupState>,
  nowMs: number,
  idOfAlert: (a: AlertRecord) => string,
): NotificationPlan {
  const firingByGroup = new Map<string, { receiver: Receiver; groupLabels: Record<string, string>; alerts: NotifiedAlert[] }>();
  const resolvedAtByFingerprint = new Map<string, number>();
  for (const a of alerts) {
    const receiver = routing.receiverOfRule(a.rule);
    if (!receiver) continue;
    if (a.state === 'resolved') {
      resolvedAtByFingerprint.set(a.fingerprint, a.resolvedAtMs ?? nowMs);
      continue;
    }
    if (a.state !== 'firing') continue;
    const groupLabels = receiver.groupBy === 'all' ? { ...a.labels } : pickLabels(a.labels, receiver.groupBy);
    const key = `${receiver.name}:${labelsText(groupLabels)}`;
    const g = firingByGroup.get(key) ?? { receiver, groupLabels, alerts: [] };
    g.alerts.push(snapshot(a, values.get(idOfAlert(a)) ?? a.value));
    firingByGroup.set(key, g);
  }

  const notifications: Notification[] = [];
  const groups = new Map<string, GroupState | null>();
  const keys = new Set([...firingByGroup.keys(), ...previous.keys()]);
  for (const key of [...keys].sort()) {
    const current = firingByGroup.get(key);
    const prev = previous.get(key);
    const receiver = current?.receiver ?? (prev ? routing.receiver(prev.receiver) : undefined);
    if (!receiver) {
      // The receiver is gone from the rule file: the group can never be sent.
      if (prev) groups.set(key, null);
      continue;
    }
    const firing = current?.alerts ?? [];
    if (!prev && firing.length === 0) continue;
    let state: GroupState = prev ?? {
      key,
      receiver: receiver.name,
      groupLabels: current!.groupLabels,
      createdAtMs: nowMs,
      seq: 0,
      nextFlushAtMs: nowMs + receiver.groupWaitMs,
      lastSentAtMs: null,
      notified: {},
    };
    const firingFps = new Set(firing.map((a) => a.fingerprint));
    const resolved = Object.values(state.notified).filter((a) => !firingFps.has(a.fingerprint));
    const changed = firing.some((a) => !(a.fingerprint in state.notified)) || resolved.length > 0;
    if (changed && state.nextFlushAtMs === null) {
      state = { ...state, nextFlushAtMs: Math.max(nowMs, (state.lastSentAtMs ?? nowMs) + receiver.groupIntervalMs) };
    }
    const repeatDue = state.nextFlushAtMs === null && firing.length > 0 && state.lastSentAtMs !== null && nowMs >= state.lastSentAtMs + receiver.repeatIntervalMs;
    const flushDue = state.nextFlushAtMs !== null && nowMs >= state.nextFlushAtMs;
    if (!flushDue && !repeatDue) {
      if (state !== prev) groups.set(key, state);
      continue;
    }
    const resolvedOut = receiver.sendResolved
      ? resolved.map((a) => ({ ...a, endsAtMs: resolvedAtByFingerprint.get(a.fingerprint) ?? nowMs }))
      : [];
    const seq = state.seq + 1;
    if (firing.length + resolvedOut.length > 0) {
      notifications.push({
        id: `msg_${fingerprint({ key, createdAtMs: String(state.createdAtMs) })}_${seq}`,
        receiver: receiver.name,
        groupKey: key,
        body: webhookBody(receiver.name, key, state.groupLabels, firing, resolvedOut),
        createdAtMs: nowMs,
      });
    }
    if (firing.length === 0) {
      groups.set(key, null);
      continue;
    }
    groups.set(key, {
      ...state,
      seq,
      nextFlushAtMs: null,
      lastSentAtMs: nowMs,
      notified: Object.fromEntries(firing.map((a) => [a.fingerprint, a])),
    });
  }
  return { notifications, groups };
}
