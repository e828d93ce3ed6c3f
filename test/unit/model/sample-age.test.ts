import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, judgeSampleAge, windowClosesAtMs, windowStartMs, withLateness, type SampleAgePolicy } from '@ringtail/model';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('sample-age');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;
const policy: SampleAgePolicy = { resolutions: DEFAULT_RESOLUTIONS, maxFutureMs: 10 * 60_000 };
const RECORD_MS = 1_764_000_000_000; // a 10 s, 1 m and 1 h boundary

describe('judgeSampleAge', () => {
  it('keeps a sample of about the record time in every resolution', () => {
    expect(judgeSampleAge(RECORD_MS - 5_000, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0 });
    expect(judgeSampleAge(RECORD_MS + 10 * 60_000, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0 });
  });

  it('rejects a sample more than MAX_SAMPLE_FUTURE_MS after its record as TIMESTAMP_TOO_NEW', () => {
    const v = judgeSampleAge(RECORD_MS + 10 * 60_000 + 1, RECORD_MS, policy);
    expect(v).toEqual({ ok: false, code: 'TIMESTAMP_TOO_NEW', reason: "timestamp is 600001 ms after its Kafka record's, over MAX_SAMPLE_FUTURE_MS=600000" });
  });

  it('leaves out the resolutions whose window is closed (end + MAX_SAMPLE_LATENESS), and keeps the coarser ones', () => {
    // Defaults: 10s windows close 5 m after their end, 1m ones 10 m, 1h ones 1 h.
    expect(judgeSampleAge(RECORD_MS - 6 * MINUTE_MS, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0b001 });
    expect(judgeSampleAge(RECORD_MS - 30 * MINUTE_MS, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0b011 });
    // The 10s window [t-5m-10s, t-5m) ends exactly 5 m before the record: closed at that instant.
    expect(judgeSampleAge(RECORD_MS - 5 * MINUTE_MS - 1, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0b001 });
    expect(judgeSampleAge(RECORD_MS - 5 * MINUTE_MS, RECORD_MS, policy)).toEqual({ ok: true, expiredMask: 0 });
  });

  it('takes MAX_SAMPLE_LATENESS per resolution', () => {
    const custom = { ...policy, resolutions: withLateness(DEFAULT_RESOLUTIONS, '10s:1h') };
    expect(judgeSampleAge(RECORD_MS - 30 * MINUTE_MS, RECORD_MS, custom)).toEqual({ ok: true, expiredMask: 0b010 });
    expect(() => withLateness(DEFAULT_RESOLUTIONS, '5s:1m')).toThrow(/resolutions 10s, 1m, 1h, got '5s:1m'/);
  });

  it('rejects a sample closed in every resolution as TIMESTAMP_TOO_OLD, naming MAX_SAMPLE_LATENESS', () => {
    const v = judgeSampleAge(RECORD_MS - 2 * HOUR_MS - 1, RECORD_MS, policy);
    expect(v.ok === false && v.code).toBe('TIMESTAMP_TOO_OLD');
    expect(v.ok === false && v.reason).toMatch(/MAX_SAMPLE_LATENESS/);
  });

  it('rejects a sample a year old or at timestamp 0 as TIMESTAMP_TOO_OLD, naming RESOLUTIONS', () => {
    for (const ts of [0, RECORD_MS - 365 * DAY_MS, RECORD_MS - 91 * DAY_MS - HOUR_MS]) {
      const v = judgeSampleAge(ts, RECORD_MS, policy);
      expect(v.ok === false && v.code).toBe('TIMESTAMP_TOO_OLD');
      expect(v.ok === false && v.reason).toMatch(/RESOLUTIONS/);
    }
  });

  it('keeps everything when the record has no timestamp (-1)', () => {
    expect(judgeSampleAge(0, -1, policy)).toEqual({ ok: true, expiredMask: 0 });
  });

  it('sets bit r exactly when the window of resolution r is closed by the record time, and rejects only when all are set', () => {
    const resolutions = fc.uniqueArray(fc.integer({ min: 1, max: 3_600 }), { minLength: 1, maxLength: 5 }).chain((steps) =>
      fc.tuple(...steps.sort((a, b) => a - b).map((step) => fc.integer({ min: 1, max: 100_000 }).map((retention) => ({ name: `${step}s`, stepMs: step * 1000, retentionMs: retention * 1000 })))),
    );
    fc.assert(
      fc.property(resolutions, fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: -(2 ** 36), max: 2 ** 30 }), (rs, record, offset) => {
        const ts = Math.max(0, record + offset);
        const v = judgeSampleAge(ts, record, { resolutions: rs, maxFutureMs: 2 ** 40 });
        const expired = rs.map((r) => windowClosesAtMs(windowStartMs(ts, r.stepMs), r) <= record);
        if (expired.every(Boolean)) expect(v.ok === false && v.code).toBe('TIMESTAMP_TOO_OLD');
        else expect(v).toEqual({ ok: true, expiredMask: expired.reduce((m, e, i) => (e ? m | (1 << i) : m), 0) });
      }),
      { seed, numRuns: 2000 },
    );
  });
});
