export { verifyWebhook, signatureHeader, WEBHOOK_HEADERS, DEFAULT_TOLERANCE_SEC, type VerifyWebhookOptions } from './webhook-signature.ts';
export { WebhookVerificationError } from './webhook-verification-error.ts';
export { WebhookReceiver, type AlertWebhookBody, type ReceivedWebhook, type WebhookReceiverOptions, type WebhookReply } from './webhook-receiver.ts';
