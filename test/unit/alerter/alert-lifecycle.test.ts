import { describe, expect, it } from 'vitest';
import type { SeriesWindows } from '../../../services/alerter/src/domain/aggregate.ts';
import type { AlertRecord } from '@ringtail/model';
import { RESOLVED_RETENTION_MS } from '../../../services/alerter/src/domain/alert.ts';
import { evaluateRule } from '../../../services/alerter/src/domain/rule-evaluation.ts';
import type { Rule } from '../../../services/alerter/src/domain/rule.ts';
import { ruleOf, seriesAt } from './helpers.ts';

const T0 = 1_700_000_000_000;
const HOST = { host: 'a' };

/** Drives one rule through evaluations on a controlled clock, as the leader would, persisting between ticks. */
class RuleHarness {
  private alerts = new Map<string, AlertRecord>();
  nowMs = T0;
  constructor(readonly rule: Rule) {}

  /** Advances the clock by `ms` and evaluates against `series`. */
  at(ms: number, series: readonly SeriesWindows[]): this {
    this.nowMs += ms;
    this.alerts = evaluateRule(this.rule, series, this.alerts, this.nowMs).alerts;
    return this;
  }
  value(v: number, ms = 5_000): this {
    return this.at(ms, [seriesAt(HOST, v, this.nowMs + ms)]);
  }
  noData(ms = 5_000): this {
    return this.at(ms, []);
  }
  states(): Record<string, string> {
    return Object.fromEntries([...this.alerts.values()].map((a) => [a.kind, a.state]));
  }
  state(kind: 'data' | 'nodata' = 'data'): string {
    return this.states()[kind] ?? 'inactive';
  }
  alert(kind: 'data' | 'nodata' = 'data'): AlertRecord {
    return [...this.alerts.values()].find((a) => a.kind === kind)!;
  }
}

function rule(extra: string, noData = 'ok'): Rule {
  return ruleOf(`
  - alert: High
    selector: 'cpu'
    aggregation: last
    window: 1m
    op: '>'
    threshold: 90
    no_data: ${noData}
    labels: { severity: page }
    annotations: { summary: '{{ $labels.host }} at {{ $value }}' }
${extra}`);
}

describe('alert lifecycle', () => {
  it('fires at once when for is 0 and resolves when the value falls back', () => {
    const h = new RuleHarness(rule(''));
    expect(h.value(50).state()).toBe('inactive');
    expect(h.value(95).state()).toBe('firing');
    expect(h.alert()).toMatchObject({ labels: { alertname: 'High', host: 'a', severity: 'page' }, annotations: { summary: 'a at 95' }, firedAtMs: h.nowMs });
    expect(h.value(40).state()).toBe('resolved');
    expect(h.alert().resolvedAtMs).toBe(h.nowMs);
  });

  it('stays pending until the condition has held for `for`, then fires', () => {
    const h = new RuleHarness(rule('    for: 30s'));
    h.value(95);
    const activeAt = h.nowMs;
    expect(h.state()).toBe('pending');
    h.value(96, 20_000);
    expect(h.state()).toBe('pending');
    h.value(97, 9_999);
    expect(h.state()).toBe('pending');
    h.value(97, 1);
    expect(h.state()).toBe('firing');
    expect(h.alert()).toMatchObject({ activeAtMs: activeAt, firedAtMs: activeAt + 30_000 });
  });

  it('drops a pending alert whose condition stops holding, restarting the `for` timer', () => {
    const h = new RuleHarness(rule('    for: 30s'));
    h.value(95).value(96, 20_000).value(50, 5_000);
    expect(h.state()).toBe('inactive');
    h.value(95, 5_000);
    expect(h.alert().activeAtMs).toBe(h.nowMs);
    expect(h.value(95, 29_000).state()).toBe('pending');
  });

  it('keeps firing for keep_firing_for after the condition stops, then resolves', () => {
    const h = new RuleHarness(rule('    keep_firing_for: 20s'));
    h.value(95).value(50);
    const falseSince = h.nowMs;
    expect(h.state()).toBe('firing');
    expect(h.alert().keepFiringSinceMs).toBe(falseSince);
    h.value(50, 19_999);
    expect(h.state()).toBe('firing');
    h.value(50, 1);
    expect(h.state()).toBe('resolved');
  });

  it('clears the keep_firing_for timer when the condition holds again', () => {
    const h = new RuleHarness(rule('    keep_firing_for: 20s'));
    h.value(95).value(50, 5_000).value(95, 10_000);
    expect(h.alert().keepFiringSinceMs).toBeNull();
    h.value(50, 5_000).value(50, 19_000);
    expect(h.state()).toBe('firing');
  });

  it('keeps a firing alert firing between the resolve threshold and the threshold (hysteresis)', () => {
    const h = new RuleHarness(rule('    resolve_threshold: 80'));
    expect(h.value(85).state()).toBe('inactive');
    expect(h.value(91).state()).toBe('firing');
    expect(h.value(85).state()).toBe('firing');
    expect(h.value(81).state()).toBe('firing');
    expect(h.value(80).state()).toBe('resolved');
    expect(h.value(85).state()).toBe('resolved');
  });

  it('fires a resolved alert again as a new alert', () => {
    const h = new RuleHarness(rule(''));
    h.value(95).value(50);
    const resolved = h.alert();
    h.value(99);
    expect(h.state()).toBe('firing');
    expect(h.alert().activeAtMs).toBeGreaterThan(resolved.activeAtMs);
  });

  it('forgets a resolved alert after the retention', () => {
    const h = new RuleHarness(rule(''));
    h.value(95).value(50).value(50, RESOLVED_RETENTION_MS);
    expect(h.states()).toEqual({});
  });

  describe('no-data policies', () => {
    it('ok: no data counts as the condition being false', () => {
      const h = new RuleHarness(rule('', 'ok'));
      expect(h.noData().states()).toEqual({});
      h.value(95);
      expect(h.noData().state()).toBe('resolved');
    });

    it('alerting: no data counts as the condition being true, even with no series at all', () => {
      const h = new RuleHarness(rule('    for: 10s', 'alerting'));
      expect(h.noData().state()).toBe('pending');
      expect(h.noData(10_000).state()).toBe('firing');
      expect(h.alert().labels).toEqual({ alertname: 'High', severity: 'page' });
      expect(h.alert().value).toBeNull();
    });

    it('alerting: a firing series that stops reporting keeps firing', () => {
      const h = new RuleHarness(rule('', 'alerting'));
      h.value(95);
      const before = h.alert();
      h.at(5_000, [{ labels: HOST, windows: [] }]);
      expect(h.alert()).toMatchObject({ state: 'firing', fingerprint: before.fingerprint, firedAtMs: before.firedAtMs });
    });

    it('nodata: resolves the data alert and fires a separate nodata alert until data returns', () => {
      const h = new RuleHarness(rule('', 'nodata'));
      h.value(95);
      h.at(5_000, [{ labels: HOST, windows: [] }]);
      expect(h.states()).toEqual({ data: 'resolved', nodata: 'firing' });
      expect(h.alert('nodata').labels).toMatchObject({ alertname: 'High', host: 'a', nodata: 'true' });
      expect(h.alert('nodata').fingerprint).not.toBe(h.alert('data').fingerprint);
      h.value(50);
      expect(h.states()).toEqual({ data: 'resolved', nodata: 'resolved' });
    });

    it('keep: no data leaves every alert and its timers exactly as they were', () => {
      const h = new RuleHarness(rule('    for: 30s', 'keep'));
      h.value(95);
      const pending = h.alert();
      h.noData(60_000);
      expect(h.alert()).toEqual(pending);
      h.value(95, 1_000);
      expect(h.state()).toBe('firing');
      h.noData(60_000);
      expect(h.state()).toBe('firing');
    });
  });

  it('aggregates across series per `by` group', () => {
    const r = ruleOf(`
  - alert: HighAvg
    selector: 'cpu'
    aggregation: avg
    window: 1m
    by: [dc]
    op: '>'
    threshold: 50
`);
    const ev = evaluateRule(
      r,
      [seriesAt({ dc: 'x', host: 'a' }, 40, T0), seriesAt({ dc: 'x', host: 'b' }, 70, T0), seriesAt({ dc: 'y', host: 'c' }, 10, T0)],
      new Map(),
      T0,
    );
    const firing = [...ev.alerts.values()];
    expect(firing.map((a) => a.labels)).toEqual([{ alertname: 'HighAvg', dc: 'x' }]);
    expect(firing[0]!.value).toBe(55);
  });
});
