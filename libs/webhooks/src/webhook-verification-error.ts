/** A webhook request whose Standard Webhooks signature does not verify; `reason` says why. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError' as const;
  readonly code = 'WEBHOOK_UNVERIFIED' as const;
  readonly retriable = false as const;
  constructor(readonly reason: 'missing-headers' | 'bad-timestamp' | 'timestamp-out-of-tolerance' | 'bad-secret' | 'no-matching-signature') {
    super(`webhook verification failed: ${reason}`);
  }
}
