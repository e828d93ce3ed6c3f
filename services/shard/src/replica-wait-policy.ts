/** At most this long per WAIT while replicas have been falling short (see ReplicaWaitPolicy). */
export const WAIT_PROBE_MS = 250;
/** While short, every this many consecutive WAITs one gets the whole timeout again. */
export const FULL_WAIT_EVERY = 5;

/**
 * How the shard sink's next WAIT runs, given how the last ones went. Pure.
 *
 * In steady state a WAIT gets the whole WAIT_TIMEOUT_MS. Once one fell short or
 * a Redis call failed (a failover shows as both), the sink is "short" until a
 * WAIT succeeds: it asks `INFO replication` first and skips WAIT while too few
 * replicas are online, and otherwise waits at most WAIT_PROBE_MS. A replica
 * that has just resynchronised and is still taking the backlog then costs each
 * flush a quarter second, not two, while the flush's writes stay visible and
 * only its offsets wait. Every FULL_WAIT_EVERY-th WAIT while short gets the
 * whole timeout, so a replica that is merely slow still confirms flushes.
 */
export class ReplicaWaitPolicy {
  private shortStreak = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly probeMs = WAIT_PROBE_MS,
    private readonly fullEvery = FULL_WAIT_EVERY,
  ) {}

  /** Ask for the online replicas before WAITing. */
  get checkOnlineFirst(): boolean {
    return this.shortStreak > 0;
  }

  /** The timeout of the next WAIT. */
  nextTimeoutMs(): number {
    if (this.shortStreak % this.fullEvery === 0) return this.timeoutMs;
    return Math.min(this.timeoutMs, this.probeMs);
  }

  succeeded(): void {
    this.shortStreak = 0;
  }

  /** A WAIT fell short or was skipped, or a Redis call failed. */
  fellShort(): void {
    this.shortStreak += 1;
  }
}
