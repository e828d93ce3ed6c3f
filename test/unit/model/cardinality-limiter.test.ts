import { describe, expect, it } from 'vitest';
import { SeriesCardinalityLimiter } from '@ringtail/model';

describe('SeriesCardinalityLimiter', () => {
  it('admits up to the limit of series per metric and rejects new series beyond it', () => {
    const limiter = new SeriesCardinalityLimiter({ maxSeriesPerMetric: 2 }, 100);
    expect(limiter.admit('m', 'a')).toBeUndefined();
    expect(limiter.admit('m', 'b')).toBeUndefined();
    const r = limiter.admit('m', 'c');
    expect(r?.code).toBe('LIMIT_CARDINALITY');
    expect(r?.reason).toContain('MAX_SERIES_PER_METRIC=2');
    expect(limiter.seriesCount('m')).toBe(2);
  });

  it('keeps admitting series it already admitted once the metric is full', () => {
    const limiter = new SeriesCardinalityLimiter({ maxSeriesPerMetric: 1 }, 100);
    limiter.admit('m', 'a');
    expect(limiter.admit('m', 'b')?.code).toBe('LIMIT_CARDINALITY');
    expect(limiter.admit('m', 'a')).toBeUndefined();
  });

  it('counts each metric name separately', () => {
    const limiter = new SeriesCardinalityLimiter({ maxSeriesPerMetric: 1 }, 100);
    expect(limiter.admit('m1', 'a')).toBeUndefined();
    expect(limiter.admit('m2', 'b')).toBeUndefined();
  });

  it('forgets the metric it saw first when tracking more metrics than its bound', () => {
    const limiter = new SeriesCardinalityLimiter({ maxSeriesPerMetric: 1 }, 2);
    limiter.admit('m1', 'a');
    limiter.admit('m2', 'a');
    limiter.admit('m1', 'a');
    limiter.admit('m3', 'a');
    expect(limiter.seriesCount('m1')).toBe(0);
    expect(limiter.seriesCount('m2')).toBe(1);
    expect(limiter.seriesCount('m3')).toBe(1);
  });
});
