/** The PromQL subset Ringtail evaluates, as a typed tree (built by parsePromql). */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface VectorSelector {
  readonly kind: 'vector';
  /** Every matcher, the metric name as `__name__ = <name>` included. */
  readonly matchers: readonly Matcher[];
  readonly offsetMs: number;
}

export interface MatrixSelector {
  readonly kind: 'matrix';
  readonly selector: VectorSelector;
  readonly rangeMs: number;
}

export type RangeFunctionName =
  | 'rate'
  | 'increase'
  | 'delta'
  | 'avg_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'sum_over_time'
  | 'count_over_time'
  | 'last_over_time';

export interface RangeCall {
  readonly kind: 'call';
  readonly func: RangeFunctionName;
  readonly arg: MatrixSelector;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'topk' | 'bottomk';

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly op: AggregateOp;
  /** `k` of topk/bottomk. */
  readonly param?: Expr;
  /** `by (...)` labels, or the `without (...)` labels when `without`. */
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly expr: Expr;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export interface VectorMatching {
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** `on (...)` when true, else `ignoring (...)` (the default is `ignoring ()`). */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** `group_left (...)` / `group_right (...)` labels copied from the "one" side. */
  readonly include: readonly string[];
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  readonly matching: VectorMatching;
}

export interface Negation {
  readonly kind: 'negate';
  readonly expr: Expr;
}

export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

export type Expr = VectorSelector | MatrixSelector | RangeCall | Aggregate | Binary | Negation | NumberLiteral | StringLiteral;

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** The type an expression evaluates to, as Prometheus names it in `resultType`. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'matrix':
      return 'matrix';
    case 'vector':
    case 'call':
    case 'aggregate':
      return 'vector';
    case 'negate':
      return typeOf(e.expr);
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}
