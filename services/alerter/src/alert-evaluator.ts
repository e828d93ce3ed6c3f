import type { Logger } from '@ringtail/runtime';
import type { AlertStore } from './alert-store.ts';
import type { AlerterMetrics } from './alerter-metrics.ts';
import type { AlertRecord } from '@ringtail/model';
import { idOf } from './domain/alert.ts';
import { planNotifications, type GroupState, type Routing } from './domain/notification-plan.ts';
import type { RuleSet } from './domain/rule.ts';
import { evaluateRule } from './domain/rule-evaluation.ts';
import type { WindowSource } from './domain/window-source.ts';

/** How one rule fared at its last evaluation, for /api/v1/rules. */
export interface RuleHealth {
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError: string;
  readonly lastEvaluationMs: number;
  readonly evaluationMs: number;
}

export interface AlertEvaluatorOptions {
  readonly source: WindowSource;
  readonly store: AlertStore;
  readonly rules: () => RuleSet;
  readonly clock: () => number;
  readonly log: Logger;
  readonly metrics: AlerterMetrics;
}

/**
 * One evaluation tick over every rule, for the leader: read windows, run the
 * pure state machine, plan notifications, commit it all in one fenced script.
 * State lives in memory only as a cache of what this leader term committed;
 * it is reloaded from Redis when the term changes or a commit's fate is unknown.
 */
export class AlertEvaluator {
  private alerts = new Map<string, AlertRecord>();
  private groups = new Map<string, GroupState>();
  private loadedFor: string | null = null;
  private readonly latestValues = new Map<string, number | null>();
  readonly health = new Map<string, RuleHealth>();

  constructor(private readonly o: AlertEvaluatorOptions) {}

  /** Latest value of a live alert (from the last tick), falling back to the value stored at its last transition. */
  valueOf(a: AlertRecord): number | null {
    return this.latestValues.has(idOf(a)) ? this.latestValues.get(idOf(a))! : a.value;
  }

  /** Forgets the cache: the next tick reloads from Redis. */
  invalidate(): void {
    this.loadedFor = null;
  }

  /** Evaluates every rule once under `leaseValue`; returns the number of notifications enqueued. */
  async tick(leaseValue: string): Promise<number> {
    if (this.loadedFor !== leaseValue) {
      const [alerts, groups] = await Promise.all([this.o.store.loadAlerts(), this.o.store.loadGroups()]);
      this.alerts = alerts;
      this.groups = groups;
      this.loadedFor = leaseValue;
    }
    const ruleSet = this.o.rules();
    const nowMs = this.o.clock();
    const started = performance.now();
    const results = await this.o.source.read(ruleSet.rules.map((r) => ({ selector: r.selector, fromMs: nowMs - r.windowMs + 1, toMs: nowMs + 1, aggregation: r.aggregation })));

    const byRule = new Map<string, Map<string, AlertRecord>>();
    for (const [id, a] of this.alerts) {
      const m = byRule.get(a.rule) ?? new Map<string, AlertRecord>();
      m.set(id, a);
      byRule.set(a.rule, m);
    }
    const nextAlerts = new Map<string, AlertRecord>();
    const changed = new Map<string, AlertRecord | null>();
    const values = new Map<string, number | null>();
    const health = new Map<string, RuleHealth>();
    ruleSet.rules.forEach((rule, i) => {
      const previous = byRule.get(rule.name) ?? new Map<string, AlertRecord>();
      byRule.delete(rule.name);
      const result = results[i]!;
      if (result instanceof Error) {
        // A failed read never resolves: the rule's alerts stay exactly as they were.
        for (const [id, a] of previous) nextAlerts.set(id, a);
        health.set(rule.name, { health: 'err', lastError: result.message, lastEvaluationMs: nowMs, evaluationMs: 0 });
        this.o.metrics.ruleFailures.inc();
        this.o.log.warn({ err: result, rule: rule.name }, 'rule evaluation failed; alerts kept');
        return;
      }
      const ev = evaluateRule(rule, result, previous, nowMs);
      for (const [id, a] of ev.alerts) nextAlerts.set(id, a);
      for (const [id, c] of ev.changed) changed.set(id, c);
      for (const [id, v] of ev.values) values.set(id, v);
      health.set(rule.name, { health: 'ok', lastError: '', lastEvaluationMs: nowMs, evaluationMs: 0 });
    });
    // Alerts of rules removed from the file are dropped; their groups then report them resolved.
    for (const orphans of byRule.values()) for (const id of orphans.keys()) changed.set(id, null);

    const receiverByRule = new Map(ruleSet.rules.map((r) => [r.name, ruleSet.receivers.get(r.receiver)]));
    const routing: Routing = { receiverOfRule: (name) => receiverByRule.get(name), receiver: (name) => ruleSet.receivers.get(name) };
    const plan = planNotifications(nextAlerts.values(), values, routing, this.groups, nowMs, idOf);

    try {
      await this.o.store.commit(leaseValue, nowMs, { alerts: changed, groups: plan.groups, notifications: plan.notifications });
    } catch (err) {
      // Whether the script ran is unknown (a reply lost in a failover): reload the truth next tick.
      this.loadedFor = null;
      throw err;
    }
    this.alerts = nextAlerts;
    for (const [key, g] of plan.groups) {
      if (g) this.groups.set(key, g);
      else this.groups.delete(key);
    }
    this.latestValues.clear();
    for (const [id, v] of values) this.latestValues.set(id, v);
    const elapsedMs = performance.now() - started;
    for (const [name, h] of health) this.health.set(name, { ...h, evaluationMs: elapsedMs });
    for (const name of [...this.health.keys()]) if (!health.has(name)) this.health.delete(name);
    this.o.metrics.evaluations.inc();
    this.o.metrics.evaluationMs.observe(elapsedMs);
    this.o.metrics.lastEvaluationMs.set(elapsedMs);
    this.o.metrics.notificationsEnqueued.inc(plan.notifications.length);
    for (const state of ['pending', 'firing', 'resolved'] as const) {
      let n = 0;
      for (const a of nextAlerts.values()) if (a.state === state) n++;
      this.o.metrics.alerts.set({ state }, n);
    }
    return plan.notifications.length;
  }
}
