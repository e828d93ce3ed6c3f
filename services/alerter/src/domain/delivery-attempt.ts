/** Longest Retry-After honoured; a larger one is capped so a receiver cannot park notifications for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Parses a Retry-After header (delta seconds or an HTTP date) into a delay; null when absent or malformed. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

/** What to do after one delivery attempt, decided from the HTTP status alone (null: no response). */
export type AttemptVerdict = 'delivered' | 'retry' | 'disable' | 'reject';

/**
 * 2xx delivered; 410 Gone disables the endpoint (Standard Webhooks); 408,
 * 425, 429, 5xx and network failures are retried; other 4xx mean the request
 * itself is refused and retrying would not change that.
 */
export function verdictOf(status: number | null): AttemptVerdict {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'disable';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'reject';
}
