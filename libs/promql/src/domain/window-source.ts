import type { Resolution, WindowReading } from '@ringtail/model';
import type { Matcher } from './ast.ts';

/** Labels of a series or a result sample; the metric name is `__name__`. */
export type Labels = Readonly<Record<string, string>>;

export interface SeriesRef {
  readonly id: string;
  /** Every label, `__name__` included. */
  readonly labels: Labels;
}

export interface SeriesWindow {
  readonly seriesId: string;
  readonly startMs: number;
  readonly reading: WindowReading;
}

/**
 * What the evaluator needs from storage: the port the query service
 * implements over Redis with @ringtail/query's findSeriesOfEach and readWindows.
 */
export interface WindowSource {
  /** Series matching every matcher (a `__name__` matcher included), in any order. */
  series(matchers: readonly Matcher[]): Promise<readonly SeriesRef[]>;
  /** Stored windows of `resolution` overlapping [fromMs, toMs) of the given series; absent windows left out. */
  windows(seriesIds: readonly string[], resolution: Resolution, fromMs: number, toMs: number): Promise<readonly SeriesWindow[]>;
}

export interface ResolutionNeed {
  readonly nowMs: number;
  /** The earliest time the selector reads, ms. */
  readonly earliestMs: number;
  /** Durations (ms) that must be multiples of the window for the windows to cut the ranges exactly. */
  readonly alignMs: readonly number[];
}

/**
 * The resolution a selector reads (`resolutions` finest first): among those
 * whose retention still holds `earliestMs`, the coarsest whose window divides
 * every evaluation time and range (fewest reads, no window straddling a range
 * boundary); when none divides them, the finest (the least data left out).
 * When no retention reaches back far enough, the coarsest.
 */
export function chooseResolution(resolutions: readonly Resolution[], need: ResolutionNeed): Resolution {
  const coarsest = resolutions[resolutions.length - 1];
  if (coarsest === undefined) throw new Error('no resolutions configured');
  const kept = resolutions.filter((r) => need.nowMs - need.earliestMs <= r.retentionMs);
  if (kept.length === 0) return coarsest;
  const aligned = kept.filter((r) => need.alignMs.every((ms) => ((ms % r.stepMs) + r.stepMs) % r.stepMs === 0));
  return aligned[aligned.length - 1] ?? kept[0]!;
}
