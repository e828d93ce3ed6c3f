import { afterEach, describe, expect, it } from 'vitest';
import { signatureHeader, WebhookReceiver, WebhookVerificationError } from '@ringtail/webhooks';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const BODY = JSON.stringify({ status: 'firing', alerts: [] });

async function post(url: string, secret: string | null, body = BODY): Promise<number> {
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'content-type': 'application/json' };
  if (secret !== null) headers['webhook-signature'] = signatureHeader([secret], 'msg_1', ts, body);
  return (await fetch(url, { method: 'POST', headers, body })).status;
}

let receiver: WebhookReceiver | undefined;
afterEach(async () => receiver?.stop());

describe('WebhookReceiver', () => {
  it('records requests and answers queued replies, then 200', async () => {
    receiver = await WebhookReceiver.start();
    receiver.reply({ status: 503 });
    expect(await post(receiver.url, SECRET)).toBe(503);
    expect(await post(receiver.url, SECRET)).toBe(200);
    expect(receiver.received.map((w) => [w.id, w.status, w.json?.status, w.verified])).toEqual([
      ['msg_1', 503, 'firing', null],
      ['msg_1', 200, 'firing', null],
    ]);
    expect(receiver.delivered('firing')).toHaveLength(1);
    expect(() => receiver!.verifyAll(SECRET)).not.toThrow();
  });

  it('answers 401 to a request whose signature does not verify when it has a secret', async () => {
    const seen: boolean[] = [];
    receiver = await WebhookReceiver.start({ secret: SECRET, okStatus: 204, onReceive: (w) => seen.push(w.verified === true) });
    expect(await post(receiver.url, SECRET)).toBe(204);
    expect(await post(receiver.url, 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==')).toBe(401);
    expect(await post(receiver.url, null)).toBe(401);
    expect(seen).toEqual([true, false, false]);
    expect(() => receiver!.verifyAll(SECRET)).toThrow(WebhookVerificationError);
  });

  it('keeps a body that is not JSON, with json null', async () => {
    receiver = await WebhookReceiver.start();
    expect(await post(receiver.url, SECRET, 'not json')).toBe(200);
    expect(receiver.received[0]).toMatchObject({ body: 'not json', json: null });
  });
});
