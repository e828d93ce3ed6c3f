/** How retries of one kind of failing operation back off. */
export interface BackoffPolicy {
  /** Step of the first retry; each further one doubles it. */
  readonly initialMs: number;
  /** Cap of the step. */
  readonly maxMs: number;
}

/**
 * Delay before retry `attempt` (1-based: 1 after the first failure): the step
 * `min(maxMs, initialMs * 2^(attempt-1))` with "equal jitter" — half of it
 * fixed, half random — so many failing callers spread out yet none retries
 * sooner than half a step. `random` in [0, 1) comes from the caller (domain
 * code takes no randomness of its own). The one backoff of Ringtail: shard
 * flushes, ingest's shard-topic writes, alert deliveries, consumer restarts.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: number): number {
  const stepMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(stepMs / 2 + random * (stepMs / 2));
}
