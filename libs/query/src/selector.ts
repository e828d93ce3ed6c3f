import { SelectorSyntaxError } from './errors.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** A parsed `metric{label="v",...}` selector. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

const METRIC = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OP = /=~|!~|!=|=/y;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };

/**
 * Parses a Prometheus-style selector: a metric name, optionally followed by
 * `{name op "value", ...}` with ops `=`, `!=`, `=~`, `!~`; values in double or
 * single quotes with backslash escapes. Throws SelectorSyntaxError.
 */
export function parseSelector(text: string): Selector {
  let pos = 0;
  const fail = (reason: string): never => {
    throw new SelectorSyntaxError(text, pos, reason);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const token = (re: RegExp, what: string): string => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return fail(`expected ${what}`);
    pos += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const quote = text[pos];
    if (quote !== '"' && quote !== "'") return fail('expected a quoted value');
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') {
        const escaped = ESCAPES[text[pos + 1] ?? ''];
        if (escaped === undefined) return fail('unknown escape');
        out += escaped;
        pos += 2;
      } else {
        out += text[pos++];
      }
    }
    if (pos >= text.length) return fail('unterminated value');
    pos++;
    return out;
  };

  skipSpace();
  const metric = token(METRIC, 'a metric name');
  skipSpace();
  const matchers: LabelMatcher[] = [];
  if (text[pos] === '{') {
    pos++;
    skipSpace();
    while (text[pos] !== '}') {
      const name = token(LABEL, 'a label name');
      skipSpace();
      const op = token(OP, 'one of = != =~ !~') as MatchOp;
      skipSpace();
      const start = pos;
      const value = quoted();
      if (op === '=~' || op === '!~') {
        try {
          new RegExp(value);
        } catch {
          pos = start;
          fail(`invalid regular expression for ${name}`);
        }
      }
      matchers.push({ name, op, value });
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== '}') {
        fail("expected ',' or '}'");
      }
    }
    pos++;
    skipSpace();
  }
  if (pos !== text.length) fail('unexpected trailing text');
  return { metric, matchers };
}

/** A predicate over a series' labels; an absent label matches as the empty string (as in Prometheus). */
export function labelPredicate(matchers: readonly LabelMatcher[]): (labels: Readonly<Record<string, string>>) => boolean {
  const tests = matchers.map((m) => {
    // Prometheus anchors regular expressions at both ends.
    const re = m.op === '=~' || m.op === '!~' ? new RegExp(`^(?:${m.value})$`) : null;
    return (labels: Readonly<Record<string, string>>) => {
      const v = labels[m.name] ?? '';
      switch (m.op) {
        case '=':
          return v === m.value;
        case '!=':
          return v !== m.value;
        case '=~':
          return re!.test(v);
        case '!~':
          return !re!.test(v);
      }
    };
  });
  return (labels) => tests.every((t) => t(labels));
}
