import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifyWebhook, WebhookVerificationError } from '@ringtail/webhooks';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const NOW_MS = 1_700_000_000_000;
const TS = NOW_MS / 1000;

function headers(id: string, ts: number, sig: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.reason;
    throw err;
  }
  return 'verified';
}

describe('Standard Webhooks signatures', () => {
  it('verifies its own signature and returns the webhook id', () => {
    const s = secret();
    const body = '{"status":"firing"}';
    const sig = signatureHeader([s], 'msg_1', TS, body);
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook({ secret: s, headers: headers('msg_1', TS, sig), body, nowMs: NOW_MS })).toEqual({ id: 'msg_1', timestampSec: TS });
  });

  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks specification's examples.
    const s = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = signatureHeader([s], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret so a receiver can rotate', () => {
    const [old, next] = [secret(), secret()];
    const sig = signatureHeader([old, next], 'msg_2', TS, 'b');
    expect(sig.split(' ')).toHaveLength(2);
    expect(reasonOf(() => verifyWebhook({ secret: next, headers: headers('msg_2', TS, sig), body: 'b', nowMs: NOW_MS }))).toBe('verified');
    expect(reasonOf(() => verifyWebhook({ secret: old, headers: headers('msg_2', TS, sig), body: 'b', nowMs: NOW_MS }))).toBe('verified');
  });

  it('rejects a tampered body, a wrong secret, a stale timestamp and missing headers', () => {
    const s = secret();
    const sig = signatureHeader([s], 'msg_3', TS, 'body');
    expect(reasonOf(() => verifyWebhook({ secret: s, headers: headers('msg_3', TS, sig), body: 'bodY', nowMs: NOW_MS }))).toBe('no-matching-signature');
    expect(reasonOf(() => verifyWebhook({ secret: secret(), headers: headers('msg_3', TS, sig), body: 'body', nowMs: NOW_MS }))).toBe('no-matching-signature');
    expect(reasonOf(() => verifyWebhook({ secret: s, headers: headers('msg_3', TS, sig), body: 'body', nowMs: NOW_MS + 301_000 }))).toBe('timestamp-out-of-tolerance');
    expect(reasonOf(() => verifyWebhook({ secret: s, headers: headers('msg_3', TS, sig), body: 'body', nowMs: NOW_MS + 10_000, toleranceSec: 5 }))).toBe('timestamp-out-of-tolerance');
    expect(reasonOf(() => verifyWebhook({ secret: s, headers: { 'webhook-id': 'msg_3' }, body: 'body', nowMs: NOW_MS }))).toBe('missing-headers');
  });
});
