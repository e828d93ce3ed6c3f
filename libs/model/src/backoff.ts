/** Retry delays (shard flushes, consumer restarts): exponential with full jitter, capped. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before retry `attempt` (1-based); `random` in [0, 1) comes from the caller. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: number): number {
  const ceilingMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(policy.initialMs, Math.floor(ceilingMs * random));
}
