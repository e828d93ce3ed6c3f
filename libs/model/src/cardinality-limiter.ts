import { limitSetting, type SampleLimits } from './limits.ts';
import type { Rejection } from './rejection.ts';

/**
 * Enforces `MAX_SERIES_PER_METRIC`: remembers the series ids seen per metric
 * name and refuses a new series once a metric has the maximum.
 *
 * The count is per instance of this class (one per ingest process), not global:
 * with N ingest instances a metric can reach up to N × the limit, and a restart
 * forgets what it saw. Memory is bounded: at most `maxTrackedMetrics` metric
 * names are remembered (the name seen first is forgotten first, which resets its count),
 * each with at most `maxSeriesPerMetric` ids. Series already admitted stay
 * admitted; nothing expires with time.
 */
export class SeriesCardinalityLimiter {
  private readonly seriesByMetric = new Map<string, Set<string>>();

  constructor(
    private readonly limits: Pick<SampleLimits, 'maxSeriesPerMetric'>,
    private readonly maxTrackedMetrics: number,
  ) {}

  /** Admits `seriesId` of metric `name`, or returns the LIMIT_CARDINALITY rejection (no `sampleIndex`, reason without a path: the caller knows both). */
  admit(name: string, seriesId: string): Rejection | undefined {
    let series = this.seriesByMetric.get(name);
    if (series === undefined) {
      if (this.seriesByMetric.size >= this.maxTrackedMetrics) {
        const oldest = this.seriesByMetric.keys().next().value;
        if (oldest !== undefined) this.seriesByMetric.delete(oldest);
      }
      series = new Set();
      this.seriesByMetric.set(name, series);
    }
    if (series.has(seriesId)) return undefined;
    if (series.size >= this.limits.maxSeriesPerMetric) {
      return {
        code: 'LIMIT_CARDINALITY',
        reason: `metric ${JSON.stringify(name)} already has ${series.size} series in this ingest instance, ${limitSetting(this.limits, 'maxSeriesPerMetric')}`,
      };
    }
    series.add(seriesId);
    return undefined;
  }

  /** Series currently remembered for `name`. */
  seriesCount(name: string): number {
    return this.seriesByMetric.get(name)?.size ?? 0;
  }
}
