import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, parseResolutions } from '@ringtail/model';
import { MAX_WINDOWS_PER_SERIES, pickResolution, QueryRangeError } from '@ringtail/query';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

describe('pickResolution with a step', () => {
  it('reads the coarsest resolution dividing the step', () => {
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: HOUR_MS, stepMs: 30_000 }).name).toBe('10s');
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: HOUR_MS, stepMs: 5 * MINUTE_MS }).name).toBe('1m');
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: HOUR_MS, stepMs: 2 * HOUR_MS }).name).toBe('1h');
  });

  it('names --step when no resolution divides it', () => {
    expect(() => pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: HOUR_MS, stepMs: 15_000 })).toThrow(QueryRangeError);
    expect(() => pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: HOUR_MS, stepMs: 5_000 })).toThrow(/^--step: /);
  });
});

describe('pickResolution from the range alone', () => {
  it('picks the finest resolution covering the range in at most MAX_WINDOWS_PER_SERIES windows', () => {
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: 5 * MINUTE_MS }).name).toBe('10s');
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: (MAX_WINDOWS_PER_SERIES - 1) * 10_000 }).name).toBe('10s');
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: MAX_WINDOWS_PER_SERIES * 10_000 }).name).toBe('1m');
    expect(pickResolution(DEFAULT_RESOLUTIONS, { rangeMs: 24 * HOUR_MS }).name).toBe('1h');
  });

  it('skips a resolution whose retention is shorter than the range, and falls back to the coarsest', () => {
    const resolutions = parseResolutions('10s:1m,1m:7d');
    expect(pickResolution(resolutions, { rangeMs: 2 * MINUTE_MS }).name).toBe('1m');
    expect(pickResolution(resolutions, { rangeMs: 30 * 24 * HOUR_MS }).name).toBe('1m');
  });

  it('follows RESOLUTIONS, not the defaults', () => {
    expect(pickResolution(parseResolutions('5s:1h,30s:1d'), { rangeMs: MINUTE_MS }).name).toBe('5s');
  });
});
