import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { typeOf, type AggregateOp, type BinaryOp, type Expr, type Matcher, type MatchOp, type RangeFunctionName, type VectorMatching, type VectorSelector } from './ast.ts';
import { parsePromDurationMs } from './durations.ts';
import { PromqlSyntaxError, UnsupportedPromqlError } from './errors.ts';

const RANGE_FUNCTIONS: ReadonlySet<string> = new Set<RangeFunctionName>([
  'rate',
  'increase',
  'delta',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
]);
const AGGREGATE_OPS: ReadonlySet<string> = new Set<AggregateOp>(['sum', 'avg', 'min', 'max', 'count', 'topk', 'bottomk']);
const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: '^', Mul: '*', Div: '/', Mod: '%', Add: '+', Sub: '-',
  Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=',
  And: 'and', Or: 'or', Unless: 'unless',
};
const MATCH_OPS: Readonly<Record<string, MatchOp>> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };
const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);
const ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };
/** What a node the grammar knows but Ringtail does not evaluate is called in the 400 answer. */
const CONSTRUCT_NAMES: Readonly<Record<string, string>> = {
  SubqueryExpr: 'subquery',
  StepInvariantExpr: '@ modifier',
  AnchoredExpr: 'anchored modifier',
  SmoothedExpr: 'smoothed modifier',
  FillModifier: 'fill modifier',
};

/**
 * Parses PromQL with Prometheus' own grammar (@prometheus-io/lezer-promql)
 * and turns the syntax tree into Ringtail's typed subset (ast.ts), checking
 * types as Prometheus does. Throws PromqlSyntaxError for text that is not
 * PromQL, UnsupportedPromqlError naming valid PromQL Ringtail does not evaluate.
 */
export function parsePromql(text: string): Expr {
  const tree = parser.parse(text);
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      const at = cursor.from;
      throw new PromqlSyntaxError(at, at >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text.slice(at, at + 10))}`);
    }
  } while (cursor.next());
  const top = tree.topNode.firstChild;
  if (top === null) throw new PromqlSyntaxError(0, 'no expression found in input');
  return new TreeReader(text).expr(top);
}

class TreeReader {
  constructor(private readonly text: string) {}

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  private fail(n: SyntaxNode, reason: string): never {
    throw new PromqlSyntaxError(n.from, reason);
  }

  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) out.push(c);
    return out;
  }

  expr(n: SyntaxNode): Expr {
    switch (n.type.name) {
      case 'ParenExpr':
        return this.expr(this.only(n));
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(n) };
      case 'StringLiteral':
        return { kind: 'string', value: this.string(n) };
      case 'VectorSelector':
        return this.vectorSelector(n, 0);
      case 'MatrixSelector':
        return this.matrixSelector(n, 0);
      case 'OffsetExpr':
        return this.offset(n);
      case 'UnaryExpr':
        return this.unary(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        throw new UnsupportedPromqlError(CONSTRUCT_NAMES[n.type.name] ?? n.type.name);
    }
  }

  private only(n: SyntaxNode): SyntaxNode {
    const inner = this.children(n).filter((c) => c.type.name !== '(' && c.type.name !== ')');
    if (inner.length !== 1) this.fail(n, 'expected one expression in parentheses');
    return inner[0]!;
  }

  private number(n: SyntaxNode): number {
    const raw = this.src(n).replace(/_/g, '');
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[+-]/, '').trim();
    const lower = body.toLowerCase();
    if (lower === 'inf') return sign * Infinity;
    if (lower === 'nan') return NaN;
    const duration = parsePromDurationMs(body);
    if (duration !== null && /[a-z]$/i.test(body) && !/^0x/i.test(body)) return (sign * duration) / 1000;
    const value = Number(body);
    if (body === '' || Number.isNaN(value)) this.fail(n, `bad number or duration syntax: ${JSON.stringify(raw)}`);
    return sign * value;
  }

  private string(n: SyntaxNode): string {
    const raw = this.src(n);
    const quote = raw[0];
    if (raw.length < 2 || raw[raw.length - 1] !== quote) this.fail(n, 'unterminated quoted string');
    const body = raw.slice(1, -1);
    if (quote === '`') return body;
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = body[i + 1] ?? '';
      const simple = ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        i += 1;
        continue;
      }
      const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
      if (hex > 0 && /^[0-9a-fA-F]+$/.test(body.slice(i + 2, i + 2 + hex)) && body.length >= i + 2 + hex) {
        out += String.fromCodePoint(parseInt(body.slice(i + 2, i + 2 + hex), 16));
        i += 1 + hex;
        continue;
      }
      if (/^[0-7]{3}$/.test(body.slice(i + 1, i + 4))) {
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 4), 8));
        i += 3;
        continue;
      }
      this.fail(n, `invalid escape sequence in ${raw}`);
    }
    return out;
  }

  private duration(n: SyntaxNode): number {
    const inner = n.type.name === 'NumberDurationLiteralInDurationContext' ? n : this.children(n);
    if (Array.isArray(inner)) {
      if (inner.length !== 1 || inner[0]!.type.name !== 'NumberDurationLiteralInDurationContext') {
        throw new UnsupportedPromqlError('duration expression');
      }
      return this.duration(inner[0]!);
    }
    const text = this.src(n);
    const ms = parsePromDurationMs(text);
    if (ms === null) {
      if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
      this.fail(n, `bad duration syntax: ${JSON.stringify(text)}`);
    }
    return ms;
  }

  private vectorSelector(n: SyntaxNode, offsetMs: number): VectorSelector {
    const matchers: Matcher[] = [];
    const name = n.getChild('Identifier');
    if (name !== null) matchers.push({ name: '__name__', op: '=', value: this.src(name) });
    const list = n.getChild('LabelMatchers');
    for (const m of list ? this.children(list) : []) {
      if (m.type.name === 'QuotedLabelName') {
        if (name !== null) this.fail(m, 'metric name must not be set twice');
        matchers.push({ name: '__name__', op: '=', value: this.string(m.firstChild!) });
        continue;
      }
      if (m.type.name !== 'UnquotedLabelMatcher' && m.type.name !== 'QuotedLabelMatcher') continue;
      const labelNode = m.firstChild!;
      const label = labelNode.type.name === 'LabelName' ? this.src(labelNode) : this.string(labelNode.firstChild!);
      const opNode = m.getChild('MatchOp')!.firstChild!;
      const op = MATCH_OPS[opNode.type.name]!;
      const value = this.string(m.getChild('StringLiteral')!);
      if (op === '=~' || op === '!~') {
        try {
          new RegExp(`^(?:${value})$`);
        } catch (err) {
          this.fail(m, `error parsing regexp: ${(err as Error).message}`);
        }
      }
      if (label === '__name__' && name !== null) this.fail(m, `metric name must not be set twice: ${JSON.stringify(this.src(name))} or ${JSON.stringify(value)}`);
      matchers.push({ name: label, op, value });
    }
    if (!matchers.some((m) => !matchesEmpty(m))) this.fail(n, 'vector selector must contain at least one non-empty matcher');
    return { kind: 'vector', matchers, offsetMs };
  }

  private matrixSelector(n: SyntaxNode, offsetMs: number): Expr {
    const [inner, ...rest] = this.children(n);
    const durationNode = rest.find((c) => c.type.name === 'DurationExpr');
    if (inner === undefined || durationNode === undefined) this.fail(n, 'expected a range selector');
    if (inner.type.name !== 'VectorSelector') {
      if (inner.type.name === 'OffsetExpr') this.fail(n, 'no offset modifiers allowed before range');
      this.fail(n, `ranges only allowed for vector selectors`);
    }
    const rangeMs = this.duration(durationNode);
    if (rangeMs <= 0) this.fail(durationNode, 'range must be greater than 0');
    return { kind: 'matrix', selector: this.vectorSelector(inner, offsetMs), rangeMs };
  }

  private offset(n: SyntaxNode): Expr {
    const [inner] = this.children(n);
    const durationNode = n.getChild('OffsetDurationExpr')!;
    const offsetMs = this.offsetDuration(durationNode);
    if (inner?.type.name === 'VectorSelector') return this.vectorSelector(inner, offsetMs);
    if (inner?.type.name === 'MatrixSelector') return this.matrixSelector(inner, offsetMs);
    if (inner?.type.name === 'SubqueryExpr') throw new UnsupportedPromqlError('subquery');
    return this.fail(n, 'offset modifier must be preceded by an instant vector selector or range vector selector');
  }

  private offsetDuration(n: SyntaxNode): number {
    const op = n.getChild('UnaryOp');
    if (op !== null) {
      const inner = n.getChild('OffsetDurationExpr')!;
      return (this.src(op) === '-' ? -1 : 1) * this.offsetDuration(inner);
    }
    return this.duration(n.firstChild!);
  }

  private unary(n: SyntaxNode): Expr {
    const op = this.src(n.getChild('UnaryOp')!);
    const inner = this.expr(this.children(n)[1]!);
    const t = typeOf(inner);
    if (t !== 'scalar' && t !== 'vector') this.fail(n, `unary expression only allowed on expressions of type scalar or instant vector, got ${t}`);
    if (op === '+') return inner;
    if (inner.kind === 'number') return { kind: 'number', value: -inner.value };
    return { kind: 'negate', expr: inner };
  }

  private args(body: SyntaxNode): SyntaxNode[] {
    return this.children(body).filter((c) => !['(', ')', ','].includes(c.type.name));
  }

  private call(n: SyntaxNode): Expr {
    const name = this.src(n.getChild('FunctionIdentifier')!);
    if (!RANGE_FUNCTIONS.has(name)) throw new UnsupportedPromqlError(`function ${name}()`);
    const args = this.args(n.getChild('FunctionCallBody')!);
    if (args.length !== 1) this.fail(n, `expected 1 argument(s) in call to "${name}", got ${args.length}`);
    const arg = this.expr(args[0]!);
    if (arg.kind !== 'matrix') this.fail(args[0]!, `expected type range vector in call to function "${name}", got ${typeOf(arg)}`);
    return { kind: 'call', func: name as RangeFunctionName, arg };
  }

  private aggregate(n: SyntaxNode): Expr {
    const op = this.src(n.getChild('AggregateOp')!);
    if (!AGGREGATE_OPS.has(op)) throw new UnsupportedPromqlError(`aggregation ${op}`);
    const modifier = n.getChild('AggregateModifier');
    const without = modifier?.getChild('Without') !== null && modifier !== null;
    const grouping = modifier ? this.labels(modifier.getChild('GroupingLabels')!) : [];
    const args = this.args(n.getChild('FunctionCallBody')!);
    const wantsParam = op === 'topk' || op === 'bottomk';
    if (args.length !== (wantsParam ? 2 : 1)) this.fail(n, `wrong number of arguments for aggregate expression provided, expected ${wantsParam ? 2 : 1}, got ${args.length}`);
    const param = wantsParam ? this.expr(args[0]!) : undefined;
    if (param !== undefined && typeOf(param) !== 'scalar') this.fail(args[0]!, `expected type scalar in aggregation parameter, got ${typeOf(param)}`);
    const expr = this.expr(args[args.length - 1]!);
    if (typeOf(expr) !== 'vector') this.fail(args[args.length - 1]!, `expected type instant vector in aggregation expression, got ${typeOf(expr)}`);
    return { kind: 'aggregate', op: op as AggregateOp, grouping, without, expr, ...(param ? { param } : {}) };
  }

  private labels(n: SyntaxNode): string[] {
    return this.children(n)
      .filter((c) => c.type.name === 'LabelName' || c.type.name === 'QuotedLabelName')
      .map((c) => (c.type.name === 'LabelName' ? this.src(c) : this.string(c.firstChild!)));
  }

  private binary(n: SyntaxNode): Expr {
    const parts = this.children(n);
    const opNode = parts.find((c) => BINARY_OPS[c.type.name] !== undefined || c.type.name === 'Atan2' || c.type.name === 'TrimUpper' || c.type.name === 'TrimLower');
    if (opNode === undefined) this.fail(n, 'expected a binary operator');
    const op = BINARY_OPS[opNode.type.name];
    if (op === undefined) throw new UnsupportedPromqlError(`operator ${this.src(opNode)}`);
    if (parts.some((c) => c.type.name === 'FillModifier')) throw new UnsupportedPromqlError('fill modifier');
    const lhs = this.expr(parts[0]!);
    const rhs = this.expr(parts[parts.length - 1]!);
    const returnBool = parts.some((c) => c.type.name === 'BoolModifier');
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    for (const [t, side] of [[lt, parts[0]!], [rt, parts[parts.length - 1]!]] as const) {
      if (t !== 'scalar' && t !== 'vector') this.fail(side, `binary expression must contain only scalar and instant vector types`);
    }
    if (returnBool && !COMPARISONS.has(op)) this.fail(opNode, 'bool modifier can only be used on comparison operators');
    if (COMPARISONS.has(op) && lt === 'scalar' && rt === 'scalar' && !returnBool) this.fail(opNode, 'comparisons between scalars must use BOOL modifier');
    if (SET_OPS.has(op) && (lt === 'scalar' || rt === 'scalar')) this.fail(opNode, `set operator "${op}" not allowed in binary scalar expression`);
    const clause = parts.find((c) => c.type.name === 'MatchingModifierClause');
    const matching = clause ? this.matching(clause, op) : { card: SET_OPS.has(op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] } as VectorMatching;
    if (clause && (lt === 'scalar' || rt === 'scalar')) this.fail(clause, 'vector matching only allowed between instant vectors');
    if (SET_OPS.has(op) && matching.card !== 'many-to-many') this.fail(clause ?? n, 'no grouping allowed for "and", "or", "unless" operations');
    return { kind: 'binary', op, lhs, rhs, returnBool, matching };
  }

  private matching(clause: SyntaxNode, op: BinaryOp): VectorMatching {
    const parts = this.children(clause);
    const on = parts[0]!.type.name === 'On';
    const groupings = parts.filter((c) => c.type.name === 'GroupingLabels');
    const labels = this.labels(groupings[0]!);
    const side = parts.find((c) => c.type.name === 'GroupLeft' || c.type.name === 'GroupRight');
    const include = groupings[1] ? this.labels(groupings[1]) : [];
    const card = SET_OPS.has(op) ? 'many-to-many' : side === undefined ? 'one-to-one' : side.type.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
    if (on) {
      const clash = include.find((l) => labels.includes(l));
      if (clash !== undefined) this.fail(clause, `label "${clash}" must not occur in ON and GROUP clause at once`);
    }
    return { card, on, labels, include };
  }
}

function matchesEmpty(m: Matcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test('');
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test('');
  }
}
