import type { Rule } from './rule.ts';
import { labelPredicate } from './selector.ts';

interface IndexedRule {
  readonly rule: Rule;
  readonly matches: (labels: Readonly<Record<string, string>>) => boolean;
}

interface MetricBucket {
  /** Rules of the metric with no non-empty equality matcher: every series of the metric is a candidate. */
  readonly unlabelled: IndexedRule[];
  /** label name → label value → rules filed under that equality matcher. */
  readonly byLabel: Map<string, Map<string, IndexedRule[]>>;
}

/**
 * The rules whose selector matches a series, found without looking at the
 * other rules: each rule is filed under its metric name and, when its selector
 * has one, its first equality matcher with a non-empty value (a label every
 * matching series carries with that value). A series then looks at its
 * metric's unlabelled rules and, per label it carries, the rules filed under
 * that label and value, and checks only those candidates' matchers: the cost
 * is O(labels of the series + candidate rules), whatever the number of rules.
 * Immutable: build a new one when the rule set changes.
 */
export class RuleIndex {
  private readonly byMetric = new Map<string, MetricBucket>();

  constructor(rules: readonly Rule[]) {
    for (const rule of rules) {
      const { metric, matchers } = rule.selector;
      let bucket = this.byMetric.get(metric);
      if (!bucket) this.byMetric.set(metric, (bucket = { unlabelled: [], byLabel: new Map() }));
      const entry = { rule, matches: labelPredicate(matchers) };
      const anchor = matchers.find((m) => m.op === '=' && m.value !== '');
      if (!anchor) {
        bucket.unlabelled.push(entry);
        continue;
      }
      let values = bucket.byLabel.get(anchor.name);
      if (!values) bucket.byLabel.set(anchor.name, (values = new Map()));
      const list = values.get(anchor.value);
      if (list) list.push(entry);
      else values.set(anchor.value, [entry]);
    }
  }

  /** Calls `found` with every rule whose selector matches the series `metric{labels}` (each rule once). */
  forEachMatch(metric: string, labels: Readonly<Record<string, string>>, found: (rule: Rule) => void): void {
    const bucket = this.byMetric.get(metric);
    if (!bucket) return;
    for (const e of bucket.unlabelled) if (e.matches(labels)) found(e.rule);
    if (bucket.byLabel.size === 0) return;
    for (const name in labels) {
      const candidates = bucket.byLabel.get(name)?.get(labels[name]!);
      // A rule is filed under one label only, so no rule is a candidate twice.
      if (candidates) for (const e of candidates) if (e.matches(labels)) found(e.rule);
    }
  }

  /** The names of the rules matching any of `series`. */
  ruleNamesMatching(series: Iterable<{ readonly name: string; readonly labels: Readonly<Record<string, string>> }>): Set<string> {
    const names = new Set<string>();
    for (const s of series) this.forEachMatch(s.name, s.labels, (rule) => names.add(rule.name));
    return names;
  }
}
