import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs, verdictOf } from '../../../services/alerter/src/domain/backoff.ts';
import { propertySeed } from '../../support/fc-seed.ts';

const seed = propertySeed('alerter/backoff');
const policy = { retryInitialMs: 500, retryMaxMs: 60_000 };

describe('delivery retries', () => {
  it('backs off exponentially with jitter between half and all of the step, capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, r) => {
        const step = Math.min(policy.retryMaxMs, policy.retryInitialMs * 2 ** (attempt - 1));
        const d = retryDelayMs(attempt, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
      }),
      { seed },
    );
  });

  it('parses Retry-After as seconds or an HTTP date, capped', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(new Date(now + 7000).toUTCString(), now)).toBe(7000);
    expect(parseRetryAfterMs('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs(null, now)).toBeNull();
  });

  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [410, 'disable'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [408, 'retry'],
    [null, 'retry'],
    [400, 'reject'],
    [401, 'reject'],
  ] as const)('treats status %s as %s', (status, verdict) => {
    expect(verdictOf(status)).toBe(verdict);
  });
});
