import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, verdictOf } from '../../../services/alerter/src/domain/delivery-attempt.ts';

describe('delivery attempts', () => {
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
