import type { SeriesWindows } from './aggregate.ts';
import type { Aggregation } from './rule.ts';
import type { Selector } from './selector.ts';

/** One rule's read: the series matching `selector` and their windows overlapping [fromMs, toMs). */
export interface WindowQuery {
  readonly selector: Selector;
  readonly fromMs: number;
  readonly toMs: number;
  /**
   * What the windows feed: a source may read only the fields this aggregation
   * needs (a window's `sum` is then NaN unless it is `avg` or `sum`).
   */
  readonly aggregation: Aggregation;
}

/**
 * Where evaluation reads aggregates from (the port; Redis behind it in
 * production, an in-memory fake in unit tests).
 */
export interface WindowSource {
  /**
   * Answers every query, in order. A query that failed yields its Error in
   * place of a result, so one bad rule never blocks (or resolves) the others.
   */
  read(queries: readonly WindowQuery[]): Promise<ReadonlyArray<readonly SeriesWindows[] | Error>>;
}
