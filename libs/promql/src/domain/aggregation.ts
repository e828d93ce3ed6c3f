import type { Aggregate } from './ast.ts';
import { dropMetricName, keepLabels, labelsKey, withoutLabels, type Sample } from './instant-vector.ts';
import type { Labels } from './window-source.ts';

interface Group {
  readonly labels: Labels;
  readonly members: Sample[];
}

function groupLabels(node: Aggregate, labels: Labels): Labels {
  return node.without ? withoutLabels(dropMetricName(labels), node.grouping) : keepLabels(labels, node.grouping);
}

/**
 * One aggregation over an instant vector, as Prometheus evaluates it: groups
 * by the `by` labels (or all but the `without` labels and the metric name).
 * sum, avg, min, max and count give one sample per group; topk/bottomk keep
 * up to `k` samples of each group with their own labels, highest (lowest)
 * first. `k` is the evaluated parameter.
 */
export function aggregate(node: Aggregate, input: readonly Sample[], k?: number): Sample[] {
  const groups = new Map<string, Group>();
  for (const s of input) {
    const labels = groupLabels(node, s.labels);
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (g === undefined) {
      g = { labels, members: [] };
      groups.set(key, g);
    }
    g.members.push(s);
  }
  const out: Sample[] = [];
  for (const g of groups.values()) {
    const values = g.members.map((s) => s.value);
    switch (node.op) {
      case 'sum':
        out.push({ labels: g.labels, value: values.reduce((a, b) => a + b, 0) });
        break;
      case 'avg':
        out.push({ labels: g.labels, value: values.reduce((a, b) => a + b, 0) / values.length });
        break;
      case 'count':
        out.push({ labels: g.labels, value: values.length });
        break;
      case 'min':
        out.push({ labels: g.labels, value: values.reduce((m, v) => (v < m || Number.isNaN(m) ? v : m)) });
        break;
      case 'max':
        out.push({ labels: g.labels, value: values.reduce((m, v) => (v > m || Number.isNaN(m) ? v : m)) });
        break;
      case 'topk':
      case 'bottomk': {
        const keep = Math.trunc(k ?? 0);
        if (!(keep >= 1)) break;
        const sign = node.op === 'topk' ? -1 : 1;
        // A stable sort: among equal values the first in input order stays, as in Prometheus' heap.
        // NaN sorts last either way, as Prometheus keeps it out unless nothing else is left.
        const sorted = [...g.members].sort((a, b) => (Number.isNaN(a.value) ? 1 : Number.isNaN(b.value) ? -1 : sign * (a.value - b.value)));
        out.push(...sorted.slice(0, keep));
        break;
      }
    }
  }
  return out;
}
