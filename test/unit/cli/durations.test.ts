import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseTimeMs } from '../../../libs/cli/src/durations.ts';

describe('command-line durations and times', () => {
  it('reads durations with units', () => {
    expect(parseDurationMs('250ms', '--x')).toBe(250);
    expect(parseDurationMs('10s', '--x')).toBe(10_000);
    expect(parseDurationMs('1.5m', '--x')).toBe(90_000);
    expect(parseDurationMs('2h', '--x')).toBe(7_200_000);
    expect(parseDurationMs('1500', '--x')).toBe(1500);
  });

  it('names the option when a duration is malformed', () => {
    expect(() => parseDurationMs('ten seconds', '--duration')).toThrow(/--duration/);
  });

  it('reads absolute and relative times', () => {
    const now = 1_764_000_000_000;
    expect(parseTimeMs('now', '--to', now)).toBe(now);
    expect(parseTimeMs('now-15m', '--from', now)).toBe(now - 900_000);
    expect(parseTimeMs('1700000000000', '--from', now)).toBe(1_700_000_000_000);
    expect(parseTimeMs('2026-11-25T00:00:00Z', '--from', now)).toBe(Date.UTC(2026, 10, 25));
    expect(() => parseTimeMs('yesterday', '--from', now)).toThrow(/--from/);
  });
});
