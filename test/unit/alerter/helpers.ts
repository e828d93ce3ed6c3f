import { addSample, readingOf, windowOfSample, windowValues, type WindowValues } from '@ringtail/model';
import type { SeriesWindows } from '../../../services/alerter/src/domain/aggregate.ts';
import { parseRuleFile } from '../../../services/alerter/src/domain/rule-file.ts';
import type { Rule, RuleSet } from '../../../services/alerter/src/domain/rule.ts';

/** A window of `stepMs` holding the given [timestampMs, value] samples. */
export function windowOf(samples: readonly (readonly [number, number])[], stepMs = 10_000): WindowValues {
  const [ts0, v0] = samples[0]!;
  const w = windowOfSample(v0, ts0);
  for (const [ts, v] of samples.slice(1)) addSample(w, v, ts);
  return windowValues(Math.floor(ts0 / stepMs) * stepMs, readingOf(w));
}

/** One series whose only window holds `value` at `atMs`. */
export function seriesAt(labels: Record<string, string>, value: number, atMs: number): SeriesWindows {
  return { labels, windows: [windowOf([[atMs, value]])] };
}

export const RECEIVER_YAML = `
receivers:
  - name: ops
    url: http://127.0.0.1:9/hook
    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]
    group_wait: 0s
    group_interval: 10s
`;

/** A rule set from YAML rules (receivers `ops` prepended). */
export function ruleSetOf(rulesYaml: string): RuleSet {
  return parseRuleFile('rules.yaml', `${RECEIVER_YAML}\nrules:\n${rulesYaml}`);
}

/** The one rule of a YAML snippet. */
export function ruleOf(ruleYaml: string): Rule {
  return ruleSetOf(ruleYaml).rules[0]!;
}
