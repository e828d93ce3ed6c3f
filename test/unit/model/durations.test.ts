import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs, parseResolutions } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('model/durations');

describe('the one duration grammar', () => {
  it('reads single and compound durations, largest unit first', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs(' 1m ')).toBe(60_000);
  });

  it('reads zero written as 0 or with a unit', () => {
    expect(parseDurationMs('0')).toBe(0);
    expect(parseDurationMs('0s')).toBe(0);
  });

  it.each(['', '5', '1.5m', '-1s', '5 m', '30s1h', '1m1m', '1w', 'ms', '1h 30m', 's10'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeNull();
  });

  it('round-trips every formatted duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }), (ms) => parseDurationMs(formatDuration(ms)) === ms),
      { seed, numRuns: 500 },
    );
  });

  it('formats the shortest text', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(86_400_001)).toBe('1d1ms');
  });

  it('uses the same grammar for RESOLUTIONS, which must be positive', () => {
    expect(parseResolutions('10s:6h,1m30s:7d').map((r) => [r.stepMs, r.retentionMs])).toEqual([[10_000, 21_600_000], [90_000, 604_800_000]]);
    expect(() => parseResolutions('0s:6h')).toThrow(/positive durations/);
    expect(() => parseResolutions('1.5m:6h')).toThrow(/got '1\.5m:6h'/);
  });
});
