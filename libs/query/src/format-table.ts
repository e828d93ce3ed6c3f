import type { SeriesInfo } from './series-finder.ts';
import type { SeriesRow } from './query-series.ts';

const COLUMNS = ['series', 'start', 'count', 'sum', 'min', 'max', 'first', 'last'] as const;

/** `name{a="1",b="2"}` with labels sorted by name. */
export function seriesLabel(s: SeriesInfo): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`);
  return labels.length === 0 ? s.name : `${s.name}{${labels.join(',')}}`;
}

/** A plain-text table, one line per (series, step), columns aligned. */
export function formatTable(rows: readonly SeriesRow[]): string {
  const lines: string[][] = [[...COLUMNS]];
  for (const row of rows) {
    const label = seriesLabel(row.series);
    for (const p of row.points) {
      lines.push([label, new Date(p.startMs).toISOString(), ...[p.count, p.sum, p.min, p.max, p.first, p.last].map(String)]);
    }
  }
  const widths = COLUMNS.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  return `${lines.map((l) => l.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n')}\n`;
}
