/**
 * The selector index phase of the alerter benchmark (pure, no Redis): 10,000
 * rules, and the announcement of one flush changing `seriesPerFlush` series
 * routed to the rules they concern. The bound: a few milliseconds.
 */
import { percentile } from '@ringtail/loadgen';
import { parseRuleFile } from '../src/index.ts';
import { RuleIndex } from '../src/domain/rule-index.ts';

const RULES = 10_000;
const METRICS = 100;
const HOSTS = 1_000;
const ROUNDS = 200;

export interface IndexPhaseResult {
  readonly indexRules: number;
  readonly indexSeriesPerFlush: number;
  readonly indexBuildMs: number;
  readonly announcementP50Ms: number;
  readonly announcementP99Ms: number;
}

export function runIndexPhase(seriesPerFlush: number): IndexPhaseResult {
  // A mix of selectors: one host (an equality matcher to file under), a regex over hosts, a whole metric.
  const rules = Array.from({ length: RULES }, (_, i) => {
    const metric = `m${i % METRICS}`;
    const selector = i % 10 === 0 ? `${metric}{host=~"h1.*"}` : i % 10 === 1 ? metric : `${metric}{host="h${i % HOSTS}", dc="x"}`;
    return `  - { alert: R${i}, selector: '${selector}', aggregation: max, window: 1m, op: '>', threshold: 1 }`;
  });
  const ruleSet = parseRuleFile('bench-rules.yaml', `receivers:\n  - { name: r, url: 'http://127.0.0.1:9/hook' }\nrules:\n${rules.join('\n')}\n`);
  const built = performance.now();
  const index = new RuleIndex(ruleSet.rules);
  const indexBuildMs = performance.now() - built;
  const samples: number[] = [];
  let matched = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const series = Array.from({ length: seriesPerFlush }, (_, s) => ({ name: `m${(round + s) % METRICS}`, labels: { host: `h${(round * 7 + s) % HOSTS}`, dc: 'x' } }));
    const started = performance.now();
    matched += index.ruleNamesMatching(series).size;
    samples.push(performance.now() - started);
  }
  if (matched === 0) throw new Error('index bench matched no rule: the scenario is wrong');
  samples.sort((a, b) => a - b);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    indexRules: RULES,
    indexSeriesPerFlush: seriesPerFlush,
    indexBuildMs: round2(indexBuildMs),
    announcementP50Ms: round2(percentile(samples, 50)),
    announcementP99Ms: round2(percentile(samples, 99)),
  };
}
