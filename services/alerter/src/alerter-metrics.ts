import { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, type MetricsRegistry } from '@ringtail/runtime';

/** The alerter's Prometheus metrics (prom-client objects), registered once per running alerter. */
export function alerterMetrics(registry: MetricsRegistry) {
  const registers = [registry];
  const buckets = LATENCY_BUCKETS_MS;
  return {
    isLeader: new Gauge({ name: 'ringtail_alerter_is_leader', help: '1 while this instance holds the leader lease.', registers }),
    evaluations: new Counter({ name: 'ringtail_alerter_evaluations_total', help: 'Evaluation ticks committed.', registers }),
    evaluationTriggers: new Counter({
      name: 'ringtail_alerter_evaluation_triggers_total',
      help: 'Evaluation ticks committed, by what started them: periodic (every rule, each EVAL_INTERVAL_MS), takeover (every rule, on becoming leader or after a change stream gap), change (announced series), deadline (for/keep_firing_for/group flush).',
      labelNames: ['trigger'] as const,
      registers,
    }),
    changeEntries: new Counter({ name: 'ringtail_alerter_change_entries_total', help: 'Change stream entries (applied shard flushes) read.', registers }),
    changeReadLagMs: new Histogram({
      name: 'ringtail_alerter_change_read_lag_ms',
      help: 'Per change stream read: from its oldest entry being written (Redis time) to the alerter having it, ms.',
      buckets,
      registers,
    }),
    changeEvaluationLagMs: new Histogram({
      name: 'ringtail_alerter_change_evaluation_lag_ms',
      help: 'Per evaluation a change started: from the oldest change stream entry it covers being written (Redis time) to the evaluation starting, ms.',
      buckets,
      registers,
    }),
    changeGaps: new Counter({ name: 'ringtail_alerter_change_gaps_total', help: 'Times change stream entries were trimmed before being read (a full evaluation covered them).', registers }),
    evaluationFailures: new Counter({ name: 'ringtail_alerter_evaluation_failures_total', help: 'Evaluation ticks that failed (nothing resolved), by reason.', labelNames: ['reason'] as const, registers }),
    ruleFailures: new Counter({ name: 'ringtail_alerter_rule_evaluation_failures_total', help: 'Rule reads that failed (the rule kept its alerts).', registers }),
    evaluationMs: new Histogram({ name: 'ringtail_alerter_evaluation_duration_ms', help: 'Duration of one evaluation tick over every rule, ms.', buckets, registers }),
    partialEvaluationMs: new Histogram({
      name: 'ringtail_alerter_partial_evaluation_duration_ms',
      help: 'Duration of one evaluation tick over the rules a change or a deadline concerns, ms.',
      buckets,
      registers,
    }),
    lastEvaluationMs: new Gauge({ name: 'ringtail_alerter_last_evaluation_duration_ms', help: 'Duration of the last evaluation tick over every rule, ms.', registers }),
    alerts: new Gauge({ name: 'ringtail_alerter_alerts', help: 'Alerts by state.', labelNames: ['state'] as const, registers }),
    notificationsEnqueued: new Counter({ name: 'ringtail_alerter_notifications_enqueued_total', help: 'Notifications written to the outbox.', registers }),
    attempts: new Counter({ name: 'ringtail_alerter_webhook_attempts_total', help: 'Webhook attempts by outcome.', labelNames: ['outcome'] as const, registers }),
    delivered: new Counter({ name: 'ringtail_alerter_webhooks_delivered_total', help: 'Notifications delivered (2xx).', registers }),
    deadLetters: new Counter({ name: 'ringtail_alerter_dead_letters_total', help: 'Notifications given up on.', registers }),
    deliveryLatencyMs: new Histogram({ name: 'ringtail_alerter_delivery_latency_ms', help: 'From enqueue to delivery, ms.', buckets, registers }),
    ruleReloads: new Counter({ name: 'ringtail_alerter_rule_reloads_total', help: 'Rule file reloads by result.', labelNames: ['result'] as const, registers }),
  };
}

export type AlerterMetrics = ReturnType<typeof alerterMetrics>;
