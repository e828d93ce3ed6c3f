import { LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';

/** The alerter's Prometheus metrics, registered once per process. */
export function alerterMetrics(registry: MetricsRegistry) {
  return {
    isLeader: registry.gauge('ringtail_alerter_is_leader', '1 while this instance holds the leader lease.'),
    evaluations: registry.counter('ringtail_alerter_evaluations_total', 'Evaluation ticks committed.'),
    evaluationFailures: registry.counter('ringtail_alerter_evaluation_failures_total', 'Evaluation ticks that failed (nothing resolved), by reason.'),
    ruleFailures: registry.counter('ringtail_alerter_rule_evaluation_failures_total', 'Rule reads that failed (the rule kept its alerts).'),
    evaluationMs: registry.histogram('ringtail_alerter_evaluation_duration_ms', 'Duration of one evaluation tick over every rule, ms.', LATENCY_BUCKETS_MS),
    lastEvaluationMs: registry.gauge('ringtail_alerter_last_evaluation_duration_ms', 'Duration of the last evaluation tick, ms.'),
    alerts: registry.gauge('ringtail_alerter_alerts', 'Alerts by state.'),
    notificationsEnqueued: registry.counter('ringtail_alerter_notifications_enqueued_total', 'Notifications written to the outbox.'),
    attempts: registry.counter('ringtail_alerter_webhook_attempts_total', 'Webhook attempts by outcome.'),
    delivered: registry.counter('ringtail_alerter_webhooks_delivered_total', 'Notifications delivered (2xx).'),
    deadLetters: registry.counter('ringtail_alerter_dead_letters_total', 'Notifications given up on.'),
    deliveryLatencyMs: registry.histogram('ringtail_alerter_delivery_latency_ms', 'From enqueue to delivery, ms.', LATENCY_BUCKETS_MS),
    ruleReloads: registry.counter('ringtail_alerter_rule_reloads_total', 'Rule file reloads by result.'),
  };
}

export type AlerterMetrics = ReturnType<typeof alerterMetrics>;
