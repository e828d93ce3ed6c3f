/**
 * Series selectors in PromQL syntax: `metric{label="v", other!="x", re=~"a|b", nre!~"c.*"}`.
 * Regular expressions are fully anchored, as in Prometheus.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface Selector {
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

/** A selector that does not parse; `offset` is the 0-based character position of the problem. */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError' as const;
  readonly code = 'ALERTER_SELECTOR_SYNTAX' as const;
  readonly retriable = false as const;
  constructor(
    readonly text: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${detail} at offset ${offset} in '${text}'`);
  }
}

const METRIC = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OP = /(=~|!~|!=|=)/y;
const SPACE = /\s*/y;

function take(re: RegExp, text: string, at: number): { value: string; end: number } | null {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? { value: m[0], end: re.lastIndex } : null;
}

function skipSpace(text: string, at: number): number {
  return take(SPACE, text, at)?.end ?? at;
}

function readQuoted(text: string, at: number): { value: string; end: number } {
  const quote = text[at];
  if (quote !== '"' && quote !== "'") throw new SelectorSyntaxError(text, at, 'expected a quoted label value');
  let out = '';
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else if (c === quote) {
      return { value: out, end: i + 1 };
    } else {
      out += c;
    }
  }
  throw new SelectorSyntaxError(text, at, 'unterminated label value');
}

/** Parses a selector; throws SelectorSyntaxError naming the offset of the problem. */
export function parseSelector(text: string): Selector {
  let at = skipSpace(text, 0);
  const metric = take(METRIC, text, at);
  if (!metric) throw new SelectorSyntaxError(text, at, 'expected a metric name');
  at = skipSpace(text, metric.end);
  const matchers: LabelMatcher[] = [];
  if (text[at] === '{') {
    at = skipSpace(text, at + 1);
    while (text[at] !== '}') {
      const name = take(LABEL, text, at);
      if (!name) throw new SelectorSyntaxError(text, at, 'expected a label name');
      at = skipSpace(text, name.end);
      const op = take(OP, text, at);
      if (!op) throw new SelectorSyntaxError(text, at, 'expected one of = != =~ !~');
      at = skipSpace(text, op.end);
      const value = readQuoted(text, at);
      const matcher: LabelMatcher = { name: name.value, op: op.value as MatchOp, value: value.value };
      if (matcher.op === '=~' || matcher.op === '!~') {
        try {
          new RegExp(`^(?:${matcher.value})$`);
        } catch {
          throw new SelectorSyntaxError(text, at, `invalid regular expression '${matcher.value}'`);
        }
      }
      matchers.push(matcher);
      at = skipSpace(text, value.end);
      if (text[at] === ',') at = skipSpace(text, at + 1);
      else if (text[at] !== '}') throw new SelectorSyntaxError(text, at, "expected ',' or '}'");
    }
    at = skipSpace(text, at + 1);
  }
  if (at !== text.length) throw new SelectorSyntaxError(text, at, 'unexpected trailing text');
  return { metric: metric.value, matchers };
}

/** A compiled predicate over a series' labels. An absent label matches as the empty string, as in PromQL. */
export function labelPredicate(matchers: readonly LabelMatcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  const tests = matchers.map((m) => {
    if (m.op === '=' || m.op === '!=') {
      const want = m.op === '=';
      return (labels: Readonly<Record<string, string>>) => ((labels[m.name] ?? '') === m.value) === want;
    }
    const re = new RegExp(`^(?:${m.value})$`);
    const want = m.op === '=~';
    return (labels: Readonly<Record<string, string>>) => re.test(labels[m.name] ?? '') === want;
  });
  return (labels) => tests.every((t) => t(labels));
}

/** The selector back in PromQL text. */
export function formatSelector(s: Selector): string {
  if (s.matchers.length === 0) return s.metric;
  return `${s.metric}{${s.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}
