import type { Logger } from '@ringtail/runtime';
import type { AlertStore } from './alert-store.ts';
import type { AlerterMetrics } from './alerter-metrics.ts';
import type { AlertRecord } from '@ringtail/model';
import { deadlineMs, idOf } from './domain/alert.ts';
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
 * One evaluation tick, for the leader, over every rule or the rules a change
 * concerns: read windows, run the pure state machine, plan notifications over
 * every alert, commit it all in one fenced script. State lives in memory only
 * as a cache of what this leader term committed; it is reloaded from Redis
 * when the term changes or a commit's fate is unknown. `nextDeadlineMs` says
 * when a `for`, `keep_firing_for` or group flush falls due, derived from that
 * state, so the deadlines survive a restart or a failover with it.
 */
export class AlertEvaluator {
  private alerts = new Map<string, AlertRecord>();
  private groups = new Map<string, GroupState>();
  private loadedFor: string | null = null;
  private readonly latestValues = new Map<string, number | null>();
  /** Makes commit ids unique when two ticks share a millisecond. */
  private commitSeq = 0;
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

  /** Names of the rules not evaluated since `sinceMs` (never evaluated included). */
  rulesNotEvaluatedSince(sinceMs: number): Set<string> {
    const stale = new Set<string>();
    for (const r of this.o.rules().rules) if ((this.health.get(r.name)?.lastEvaluationMs ?? -Infinity) < sinceMs) stale.add(r.name);
    return stale;
  }

  /** True once the state of the current lease term is loaded (deadlines are known). */
  loaded(leaseValue: string): boolean {
    return this.loadedFor === leaseValue;
  }

  /**
   * The earliest instant (epoch ms) after `afterMs` at which an evaluation
   * changes something without any new sample: a pending alert reaching its
   * `for`, a firing one reaching its `keep_firing_for`, a group's flush. Null
   * when none is known. (A tick at time t covers every deadline up to t.)
   */
  nextDeadlineMs(afterMs: number): number | null {
    let next: number | null = null;
    const consider = (atMs: number) => {
      if (atMs > afterMs && (next === null || atMs < next)) next = atMs;
    };
    const rules = new Map(this.o.rules().rules.map((r) => [r.name, r]));
    for (const a of this.alerts.values()) {
      const rule = rules.get(a.rule);
      const due = rule ? deadlineMs(a, rule.forMs, rule.keepFiringForMs) : null;
      if (due !== null) consider(due);
    }
    for (const g of this.groups.values()) if (g.nextFlushAtMs !== null) consider(g.nextFlushAtMs);
    return next;
  }

  /** Names of the rules having an alert whose `for` or `keep_firing_for` deadline is in (`afterMs`, `nowMs`]. */
  rulesDueBy(afterMs: number, nowMs: number): Set<string> {
    const rules = new Map(this.o.rules().rules.map((r) => [r.name, r]));
    const due = new Set<string>();
    for (const a of this.alerts.values()) {
      const rule = rules.get(a.rule);
      const atMs = rule ? deadlineMs(a, rule.forMs, rule.keepFiringForMs) : null;
      if (atMs !== null && atMs > afterMs && atMs <= nowMs) due.add(a.rule);
    }
    return due;
  }

  /**
   * Evaluates the rules named in `only` (every rule when absent) under
   * `leaseValue`; the other rules' alerts stay as they are, and notifications
   * are planned over every alert. Returns the number of notifications enqueued.
   */
  async tick(leaseValue: string, only?: ReadonlySet<string>): Promise<number> {
    if (this.loadedFor !== leaseValue) {
      const [alerts, groups] = await Promise.all([this.o.store.loadAlerts(), this.o.store.loadGroups()]);
      this.alerts = alerts;
      this.groups = groups;
      this.loadedFor = leaseValue;
    }
    const ruleSet = this.o.rules();
    const nowMs = this.o.clock();
    const started = performance.now();
    const evaluated = only ? ruleSet.rules.filter((r) => only.has(r.name)) : ruleSet.rules;
    const results = await this.o.source.read(evaluated.map((r) => ({ selector: r.selector, fromMs: nowMs - r.windowMs + 1, toMs: nowMs + 1, aggregation: r.aggregation })));

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
    evaluated.forEach((rule, i) => {
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
    const inFile = new Set(ruleSet.rules.map((r) => r.name));
    for (const [name, rest] of byRule) {
      // Rules not evaluated now keep their alerts exactly; alerts of rules removed from the file are dropped, and their groups then report them resolved.
      if (inFile.has(name)) for (const [id, a] of rest) nextAlerts.set(id, a);
      else for (const id of rest.keys()) changed.set(id, null);
    }

    const receiverByRule = new Map(ruleSet.rules.map((r) => [r.name, ruleSet.receivers.get(r.receiver)]));
    const routing: Routing = { receiverOfRule: (name) => receiverByRule.get(name), receiver: (name) => ruleSet.receivers.get(name) };
    // A group may hold alerts of rules not evaluated now: their latest values come from earlier ticks.
    const planValues = only ? new Map([...this.latestValues, ...values]) : values;
    const plan = planNotifications(nextAlerts.values(), planValues, routing, this.groups, nowMs, idOf);

    try {
      await this.o.store.commit(leaseValue, `${nowMs}.${this.commitSeq++}`, { alerts: changed, groups: plan.groups, notifications: plan.notifications });
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
    if (!only) this.latestValues.clear();
    for (const [id, v] of values) this.latestValues.set(id, v);
    const elapsedMs = performance.now() - started;
    for (const [name, h] of health) this.health.set(name, { ...h, evaluationMs: elapsedMs });
    for (const name of [...this.health.keys()]) if (!inFile.has(name)) this.health.delete(name);
    this.o.metrics.evaluations.inc();
    if (only) this.o.metrics.partialEvaluationMs.observe(elapsedMs);
    else {
      this.o.metrics.evaluationMs.observe(elapsedMs);
      this.o.metrics.lastEvaluationMs.set(elapsedMs);
    }
    this.o.metrics.notificationsEnqueued.inc(plan.notifications.length);
    for (const state of ['pending', 'firing', 'resolved'] as const) {
      let n = 0;
      for (const a of nextAlerts.values()) if (a.state === state) n++;
      this.o.metrics.alerts.set({ state }, n);
    }
    return plan.notifications.length;
  }
}
