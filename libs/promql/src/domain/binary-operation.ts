import type { Binary, BinaryOp } from './ast.ts';
import { EvaluationError } from './errors.ts';
import { dropMetricName, keepLabels, labelsKey, withoutLabels, type Sample } from './instant-vector.ts';
import type { Labels } from './window-source.ts';

const COMPARISON = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);

/** `op` on two values: the value and, for comparisons, whether the pair is kept. */
function apply(op: BinaryOp, l: number, r: number): { value: number; keep: boolean } {
  switch (op) {
    case '+':
      return { value: l + r, keep: true };
    case '-':
      return { value: l - r, keep: true };
    case '*':
      return { value: l * r, keep: true };
    case '/':
      return { value: l / r, keep: true };
    case '%':
      return { value: l % r, keep: true };
    case '^':
      return { value: Math.pow(l, r), keep: true };
    case '==':
      return { value: l, keep: l === r };
    case '!=':
      return { value: l, keep: l !== r };
    case '>':
      return { value: l, keep: l > r };
    case '<':
      return { value: l, keep: l < r };
    case '>=':
      return { value: l, keep: l >= r };
    case '<=':
      return { value: l, keep: l <= r };
    default:
      throw new EvaluationError(`operator ${op} is not defined between values`);
  }
}

/** scalar op scalar (comparisons need `bool`, checked by the parser). */
export function scalarBinary(node: Binary, l: number, r: number): number {
  const { value, keep } = apply(node.op, l, r);
  return COMPARISON.has(node.op) ? (keep ? 1 : 0) : value;
}

/** vector op scalar, or scalar op vector when `scalarOnLeft`: Prometheus' VectorscalarBinop. */
export function vectorScalarBinary(node: Binary, vector: readonly Sample[], scalar: number, scalarOnLeft: boolean): Sample[] {
  const comparison = COMPARISON.has(node.op);
  const out: Sample[] = [];
  for (const s of vector) {
    const [l, r] = scalarOnLeft ? [scalar, s.value] : [s.value, scalar];
    let { value, keep } = apply(node.op, l, r);
    // The vector's value is the answer of a filtering comparison, whichever side it is on.
    if (comparison && scalarOnLeft) value = s.value;
    if (node.returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels: comparison && !node.returnBool ? s.labels : dropMetricName(s.labels), value });
  }
  return out;
}

function signature(node: Binary, labels: Labels): string {
  const m = node.matching;
  return labelsKey(m.on ? keepLabels(labels, m.labels) : withoutLabels(dropMetricName(labels), m.labels));
}

function resultLabels(node: Binary, lhs: Labels, rhs: Labels): Labels {
  const m = node.matching;
  let labels = COMPARISON.has(node.op) && !node.returnBool ? lhs : dropMetricName(lhs);
  if (m.card === 'one-to-one') {
    labels = m.on ? keepLabels(labels, m.labels) : withoutLabels(labels, m.labels);
  } else {
    const copied: Record<string, string> = { ...labels };
    for (const name of m.include) {
      const v = rhs[name];
      if (v !== undefined && v !== '') copied[name] = v;
      else delete copied[name];
    }
    labels = copied;
  }
  return labels;
}

/** vector op vector with Prometheus' matching rules (one-to-one, group_left/right, and/or/unless). */
export function vectorBinary(node: Binary, lhs: readonly Sample[], rhs: readonly Sample[]): Sample[] {
  if (node.op === 'and' || node.op === 'or' || node.op === 'unless') return setOperation(node, lhs, rhs);
  const swap = node.matching.card === 'one-to-many';
  const [many, one] = swap ? [rhs, lhs] : [lhs, rhs];
  const oneBySig = new Map<string, Sample>();
  for (const s of one) {
    const sig = signature(node, s.labels);
    if (oneBySig.has(sig)) {
      throw new EvaluationError(
        `found duplicate series for the match group ${sig.replace(/\xff/g, ' ')} on the ${swap ? 'left' : 'right'} hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    oneBySig.set(sig, s);
  }
  const seen = new Set<string>();
  const out: Sample[] = [];
  const resultKeys = new Set<string>();
  for (const s of many) {
    const sig = signature(node, s.labels);
    const match = oneBySig.get(sig);
    if (match === undefined) continue;
    if (node.matching.card === 'one-to-one') {
      if (seen.has(sig)) throw new EvaluationError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      seen.add(sig);
    }
    const [l, r] = swap ? [match, s] : [s, match];
    let { value, keep } = apply(node.op, l.value, r.value);
    if (node.returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    const labels = resultLabels(node, s.labels, match.labels);
    const key = labelsKey(labels);
    if (resultKeys.has(key)) throw new EvaluationError('multiple matches for labels: grouping labels must ensure unique matches');
    resultKeys.add(key);
    out.push({ labels, value });
  }
  return out;
}

function setOperation(node: Binary, lhs: readonly Sample[], rhs: readonly Sample[]): Sample[] {
  const rightSigs = new Set(rhs.map((s) => signature(node, s.labels)));
  switch (node.op) {
    case 'and':
      return lhs.filter((s) => rightSigs.has(signature(node, s.labels)));
    case 'unless':
      return lhs.filter((s) => !rightSigs.has(signature(node, s.labels)));
    default: {
      const leftSigs = new Set(lhs.map((s) => signature(node, s.labels)));
      return [...lhs, ...rhs.filter((s) => !leftSigs.has(signature(node, s.labels)))];
    }
  }
}
