import { describe, expect, it } from 'vitest';
import { parseRuleFile, RuleFileError } from '../../../services/alerter/src/domain/rule-file.ts';
import { RECEIVER_YAML, ruleSetOf } from './helpers.ts';

const GOOD_RULE = `
  - alert: HighCpu
    selector: 'cpu{env="prod", host=~"web-.*"}'
    aggregation: avg
    window: 1m
    by: [host]
    op: '>'
    threshold: 90
    resolve_threshold: 80
    for: 30s
    keep_firing_for: 1m
    no_data: nodata
    labels: { severity: page }
    annotations: { summary: 'CPU on {{ $labels.host }} is {{ $value }}' }
`;

function problemOf(text: string): RuleFileError {
  try {
    parseRuleFile('rules.yaml', text);
  } catch (err) {
    if (err instanceof RuleFileError) return err;
    throw err;
  }
  throw new Error('expected the rule file to be rejected');
}

function withRule(rule: string): string {
  return `${RECEIVER_YAML}\nrules:\n${rule}`;
}

describe('rule files', () => {
  it('compiles a complete rule with its receiver defaults', () => {
    const set = ruleSetOf(GOOD_RULE);
    const rule = set.rules[0]!;
    expect(rule).toMatchObject({ name: 'HighCpu', aggregation: 'avg', windowMs: 60_000, by: ['host'], threshold: 90, resolveThreshold: 80, forMs: 30_000, keepFiringForMs: 60_000, noData: 'nodata', receiver: 'ops' });
    expect(rule.selector.matchers).toEqual([
      { name: 'env', op: '=', value: 'prod' },
      { name: 'host', op: '=~', value: 'web-.*' },
    ]);
    expect(rule.annotations.summary!.render({ host: 'web-1' }, 93.5)).toBe('CPU on web-1 is 93.5');
    expect(set.receivers.get('ops')).toMatchObject({ groupBy: ['alertname'], repeatIntervalMs: 4 * 3600_000, sendResolved: true });
  });

  it('names the line of a YAML syntax error', () => {
    const err = problemOf('rules:\n  - alert: X\n    selector: [unclosed\n');
    expect(err.message).toMatch(/^rules\.yaml: YAML syntax error at line \d+/);
  });

  it.each([
    ['a field of the wrong type', GOOD_RULE.replace('threshold: 90', 'threshold: high'), "'HighCpu' (rules[0])", 'threshold'],
    ['an unknown field', GOOD_RULE.replace('for: 30s', 'for: 30s\n    fro: 1m'), "'HighCpu' (rules[0])", ''],
    ['a malformed duration', GOOD_RULE.replace('for: 30s', 'for: 30 seconds'), "'HighCpu' (rules[0])", 'for'],
    ['an unknown aggregation', GOOD_RULE.replace('aggregation: avg', 'aggregation: median'), "'HighCpu' (rules[0])", 'aggregation'],
    ['a malformed selector', GOOD_RULE.replace(`'cpu{env="prod", host=~"web-.*"}'`, `'cpu{env="prod" host="a"}'`), "'HighCpu' (rules[0])", 'selector'],
    ['an unknown template placeholder', GOOD_RULE.replace('{{ $value }}', '{{ $valeu }}'), "'HighCpu' (rules[0])", 'annotations.summary'],
    ['a template label outside `by`', GOOD_RULE.replace('$labels.host', '$labels.pod'), "'HighCpu' (rules[0])", 'annotations.summary'],
    ['a resolve threshold on the firing side', GOOD_RULE.replace('resolve_threshold: 80', 'resolve_threshold: 95'), "'HighCpu' (rules[0])", 'resolve_threshold'],
    ['an unknown receiver', GOOD_RULE.replace('no_data: nodata', 'no_data: nodata\n    receiver: pager'), "'HighCpu' (rules[0])", 'receiver'],
  ])('rejects %s naming file, rule and field', (_what, rule, where, field) => {
    const err = problemOf(withRule(rule));
    expect(err.code).toBe('ALERTER_RULE_FILE_INVALID');
    expect(err.file).toBe('rules.yaml');
    expect(err.rule).toBe(where);
    if (field) expect(err.field).toBe(field);
    expect(err.message.startsWith(`rules.yaml: rule ${where}`)).toBe(true);
  });

  it('rejects duplicate alert names', () => {
    const err = problemOf(withRule(GOOD_RULE + GOOD_RULE));
    expect(err.rule).toBe("'HighCpu' (rules[1])");
    expect(err.field).toBe('alert');
  });

  it('names the receiver and field of a bad receiver', () => {
    const err = problemOf('receivers:\n  - name: ops\n    url: not-a-url\nrules: []\n');
    expect(err.field).toBe('receivers[0].url');
  });

  it('uses the receivers from the environment when the file declares none', () => {
    const set = parseRuleFile('r.yaml', `rules:\n${GOOD_RULE}`, {
      defaultReceivers: [{ ...ruleSetOf('  []').receivers.get('ops')!, name: 'default' }],
    });
    expect(set.rules[0]!.receiver).toBe('default');
  });
});
