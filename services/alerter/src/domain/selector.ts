/**
 * Series selectors in PromQL syntax (`metric{label="v", other!="x", re=~"a|b", nre!~"c.*"}`):
 * the same parser and matching rules `ringtail query` uses, so a rule selects
 * exactly the series a query with the same selector shows.
 */
import type { Selector } from '@ringtail/query';

export { labelPredicate, parseSelector, SelectorSyntaxError, type LabelMatcher, type MatchOp, type Selector } from '@ringtail/query';

/** The selector back in PromQL text. */
export function formatSelector(s: Selector): string {
  if (s.matchers.length === 0) return s.metric;
  return `${s.metric}{${s.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}
