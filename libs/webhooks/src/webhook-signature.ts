import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './webhook-verification-error.ts';

/** Standard Webhooks header names. */
export const WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

/** Default tolerance between the sender's timestamp and the receiver's clock (replay protection). */
export const DEFAULT_TOLERANCE_SEC = 5 * 60;

const SECRET_PREFIX = 'whsec_';

function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('bad-secret');
  return key;
}

function hmac(key: Buffer, id: string, timestampSec: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSec}.`).update(body).digest();
}

/**
 * The `webhook-signature` header value: one `v1,<base64 HMAC-SHA256>` per
 * secret, space-separated, over `<id>.<timestamp>.<body>`. Several secrets
 * let a receiver rotate its secret without missing a notification.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestampSec: number, body: string): string {
  return secrets.map((s) => `v1,${hmac(secretKey(s), id, timestampSec, body).toString('base64')}`).join(' ');
}

type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : (v as string | undefined);
}

export interface VerifyWebhookOptions {
  /** The receiver's secret(s), `whsec_<base64>`; any one matching signature verifies. */
  readonly secret: string | readonly string[];
  /** Request headers (a fetch `Headers`, or node:http's `req.headers`). */
  readonly headers: HeaderSource;
  /** The raw request body, exactly as received. */
  readonly body: string | Uint8Array;
  readonly toleranceSec?: number;
  /** The receiver's clock, epoch ms; defaults to now. */
  readonly nowMs?: number;
}

/**
 * Verifies a Standard Webhooks request: the timestamp lies within the
 * tolerance of now and some `v1` signature matches some secret (compared in
 * constant time). Returns the webhook id (dedupe on it) and timestamp;
 * throws WebhookVerificationError otherwise.
 */
export function verifyWebhook(opts: VerifyWebhookOptions): { id: string; timestampSec: number } {
  const id = header(opts.headers, WEBHOOK_HEADERS.id);
  const ts = header(opts.headers, WEBHOOK_HEADERS.timestamp);
  const sigs = header(opts.headers, WEBHOOK_HEADERS.signature);
  if (!id || !ts || !sigs) throw new WebhookVerificationError('missing-headers');
  if (!/^\d+$/.test(ts)) throw new WebhookVerificationError('bad-timestamp');
  const timestampSec = Number(ts);
  const nowSec = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestampSec) > (opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC)) throw new WebhookVerificationError('timestamp-out-of-tolerance');
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  const expected = secrets.map((s) => hmac(secretKey(s), id, timestampSec, opts.body));
  for (const sig of sigs.split(' ')) {
    const [version, b64] = sig.split(',', 2);
    if (version !== 'v1' || !b64) continue;
    const given = Buffer.from(b64, 'base64');
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) return { id, timestampSec };
  }
  throw new WebhookVerificationError('no-matching-signature');
}
