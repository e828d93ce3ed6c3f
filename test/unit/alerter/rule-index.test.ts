import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RuleIndex } from '../../../services/alerter/src/domain/rule-index.ts';
import { labelPredicate } from '../../../services/alerter/src/domain/selector.ts';
import { testSeed } from '../../support/test-seed.ts';
import { ruleSetOf } from './helpers.ts';

const SEED = testSeed('alerter/rule-index');
const METRICS = ['cpu', 'mem'] as const;
const LABELS = ['host', 'dc'] as const;
const VALUES = ['a', 'b', ''] as const;

const matcher = fc.record({ name: fc.constantFrom(...LABELS), op: fc.constantFrom('=', '!=', '=~', '!~'), value: fc.constantFrom(...VALUES, 'a|b') });
const selector = fc.record({ metric: fc.constantFrom(...METRICS), matchers: fc.array(matcher, { maxLength: 3 }) });
const series = fc.record({
  name: fc.constantFrom(...METRICS),
  labels: fc.dictionary(fc.constantFrom(...LABELS), fc.constantFrom('a', 'b', 'c'), { maxKeys: 2 }),
});

function rulesYaml(selectors: readonly { metric: string; matchers: readonly { name: string; op: string; value: string }[] }[]): string {
  return selectors
    .map((s, i) => {
      const text = `${s.metric}{${s.matchers.map((m) => `${m.name}${m.op}"${m.value}"`).join(',')}}`;
      return `  - { alert: R${i}, selector: '${text}', aggregation: last, window: 1m, op: '>', threshold: 1 }`;
    })
    .join('\n');
}

describe('RuleIndex', () => {
  it('finds exactly the rules a scan of every selector finds', () => {
    fc.assert(
      fc.property(fc.array(selector, { minLength: 1, maxLength: 30 }), fc.array(series, { maxLength: 10 }), (selectors, changed) => {
        const rules = ruleSetOf(rulesYaml(selectors)).rules;
        const scanned = new Set(rules.filter((r) => changed.some((s) => s.name === r.selector.metric && labelPredicate(r.selector.matchers)(s.labels))).map((r) => r.name));
        expect(new RuleIndex(rules).ruleNamesMatching(changed)).toEqual(scanned);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('finds a series\' one rule among 10,000 filed under other metrics and hosts', () => {
    const yaml = Array.from({ length: 10_000 }, (_, i) => `  - { alert: R${i}, selector: 'm${i % 100}{host="h${i}"}', aggregation: last, window: 1m, op: '>', threshold: 1 }`).join('\n');
    const rules = ruleSetOf(yaml).rules;
    const index = new RuleIndex(rules);
    const seen: string[] = [];
    index.forEachMatch('m7', { host: 'h107', dc: 'x' }, (r) => seen.push(r.name));
    expect(seen).toEqual(['R107']);
    expect(index.ruleNamesMatching([{ name: 'm7', labels: { host: 'h108' } }])).toEqual(new Set());
  });
});
