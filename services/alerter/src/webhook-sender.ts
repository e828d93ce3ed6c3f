import { parseRetryAfterMs } from './domain/delivery-attempt.ts';
import type { Receiver } from './domain/rule.ts';
import type { OutboxEntry } from './outbox.ts';
import { signatureHeader, WEBHOOK_HEADERS } from '@ringtail/webhooks';

/** The result of one HTTP attempt; `status` null when no response came (network error, timeout). */
export interface AttemptResult {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly error?: unknown;
}

/** Sends one notification (the port the dispatcher uses; fetch behind it). */
export type WebhookSender = (receiver: Receiver, entry: OutboxEntry) => Promise<AttemptResult>;

/** A WebhookSender over fetch: Standard Webhooks headers, signed with a fresh timestamp per attempt. */
export function fetchWebhookSender(clock: () => number, userAgent = 'ringtail-alerter'): WebhookSender {
  return async (receiver, entry) => {
    const timestampSec = Math.floor(clock() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': userAgent,
      [WEBHOOK_HEADERS.id]: entry.webhookId,
      [WEBHOOK_HEADERS.timestamp]: String(timestampSec),
    };
    if (receiver.secrets.length > 0) headers[WEBHOOK_HEADERS.signature] = signatureHeader(receiver.secrets, entry.webhookId, timestampSec, entry.body);
    try {
      const res = await fetch(receiver.url, { method: 'POST', headers, body: entry.body, signal: AbortSignal.timeout(receiver.timeoutMs) });
      // Drain the body so the connection returns to the pool.
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, retryAfterMs: parseRetryAfterMs(res.headers.get('retry-after'), clock()) };
    } catch (error) {
      return { status: null, retryAfterMs: null, error };
    }
  };
}
