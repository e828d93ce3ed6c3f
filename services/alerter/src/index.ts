export { startAlerter, type RunningAlerter, type AlerterOverrides } from './alerter.ts';
export { loadConfig, alerterEnv, type AlerterConfig } from './config.ts';
export { verifyWebhook, signatureHeader, WEBHOOK_HEADERS, DEFAULT_TOLERANCE_SEC, type VerifyWebhookOptions } from '@ringtail/webhooks';
export { parseRuleFile, type RuleFileOptions } from './domain/rule-file.ts';
export { Outbox, type DeadLetter, type OutboxEntry } from './outbox.ts';
export * from './errors.ts';
export type { Rule, RuleSet, Receiver, Aggregation, Comparison, NoDataPolicy } from './domain/rule.ts';
