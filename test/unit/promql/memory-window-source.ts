import { addSample, readingOf, windowOfSample, windowStartMs, type Resolution, type WindowAggregate } from '@ringtail/model';
import type { Matcher, SeriesRef, SeriesWindow, WindowSource } from '@ringtail/promql';

export interface RawSeries {
  readonly labels: Record<string, string>;
  readonly samples: readonly { readonly t: number; readonly v: number }[];
}

function matches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  const re = new RegExp(`^(?:${m.value})$`);
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return re.test(v);
    case '!~':
      return !re.test(v);
  }
}

/** An in-memory WindowSource: raw samples folded into windows the way shard workers fold them. */
export class MemoryWindowSource implements WindowSource {
  windowReads = 0;
  constructor(private readonly data: readonly RawSeries[]) {}

  async series(matchers: readonly Matcher[]): Promise<SeriesRef[]> {
    return this.data.flatMap((s, i) => (matchers.every((m) => matches(m, s.labels)) ? [{ id: String(i), labels: s.labels }] : []));
  }

  async windows(seriesIds: readonly string[], resolution: Resolution, fromMs: number, toMs: number): Promise<SeriesWindow[]> {
    const out: SeriesWindow[] = [];
    for (const id of seriesIds) {
      const byStart = new Map<number, WindowAggregate>();
      for (const { t, v } of this.data[Number(id)]!.samples) {
        const start = windowStartMs(t, resolution.stepMs);
        if (start + resolution.stepMs <= fromMs || start >= toMs) continue;
        const w = byStart.get(start);
        if (w) addSample(w, v, t);
        else byStart.set(start, windowOfSample(v, t));
      }
      for (const [startMs, w] of byStart) out.push({ seriesId: id, startMs, reading: readingOf(w) });
    }
    this.windowReads += out.length;
    return out;
  }
}
