import type { Labels } from './window-source.ts';

/** One sample of an instant vector: a series' labels and its value at the evaluation time. */
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

const SEP = '\xff';

/** A stable key of a label set (order-free). */
export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}${SEP}${labels[k]}`)
    .join(SEP);
}

/** `labels` without `__name__`. */
export function dropMetricName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  const { __name__: _dropped, ...rest } = labels;
  return rest;
}

/** Only the named labels (absent ones stay absent). */
export function keepLabels(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of names) if (labels[n] !== undefined && labels[n] !== '') out[n] = labels[n]!;
  return out;
}

/** Every label but the named ones. */
export function withoutLabels(labels: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!names.includes(k)) out[k] = v;
  return out;
}

/**
 * Prometheus' order of label sets (labels.Compare): label by label in name
 * order, name first, then value; a set that is a prefix of another sorts first.
 * Selectors answer series in this order, which decides topk/bottomk ties.
 */
export function compareLabels(a: Labels, b: Labels): number {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ak.length, bk.length); i++) {
    const an = ak[i]!;
    const bn = bk[i]!;
    if (an !== bn) return an < bn ? -1 : 1;
    const av = a[an]!;
    const bv = b[bn]!;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return ak.length - bk.length;
}
