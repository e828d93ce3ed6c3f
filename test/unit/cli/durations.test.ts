import { describe, expect, it } from 'vitest';
import { durationOption, parseTimeMs } from '../../../libs/cli/src/durations.ts';

describe('command-line durations and times', () => {
  it('reads durations in the one grammar', () => {
    expect(durationOption('250ms', '--x')).toBe(250);
    expect(durationOption('1m30s', '--x')).toBe(90_000);
    expect(durationOption('0', '--x')).toBe(0);
  });

  it('names the option when a duration is malformed', () => {
    expect(() => durationOption('ten seconds', '--duration')).toThrow(/^--duration: expected a duration like 0s, 250ms/);
    expect(() => durationOption('1500', '--jitter')).toThrow(/^--jitter: /);
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
