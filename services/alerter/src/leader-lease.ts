import type { AlerterKeys } from '@ringtail/model';
import { RedisUnavailableError } from './errors.ts';
import type { ScriptClient } from './scripts.ts';

/**
 * The leader lease with a fencing token. Only the holder evaluates and
 * delivers; every write it makes is checked against the lease value in the
 * same script, so a paused or partitioned ex-leader cannot write after a
 * successor took over.
 */
export class LeaderLease {
  private heldValue: string | null = null;
  private validUntilMs = 0;

  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: AlerterKeys,
    readonly instanceId: string,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  /** The lease value (`<token> <instanceId>`) while held and not about to expire; else null. */
  value(): string | null {
    // The margin keeps this instance from acting on a lease Redis may already have expired.
    return this.heldValue !== null && this.clock() < this.validUntilMs - this.ttlMs / 5 ? this.heldValue : null;
  }

  /** Acquires or renews; returns the lease value if this instance is the leader. */
  async refresh(): Promise<string | null> {
    const startedMs = this.clock();
    let reply: [number, string];
    try {
      reply = await this.redis.alerterLease(this.keys.lease, this.keys.fence, this.instanceId, this.ttlMs);
    } catch (cause) {
      throw new RedisUnavailableError('lease', { cause });
    }
    const [token, value] = reply;
    this.heldValue = token > 0 ? value : null;
    this.validUntilMs = startedMs + this.ttlMs;
    return this.heldValue;
  }

  /** Gives the lease up (graceful shutdown) so a successor need not wait for it to expire. */
  async release(): Promise<void> {
    const value = this.heldValue;
    this.heldValue = null;
    if (value !== null) await this.redis.alerterRelease(this.keys.lease, value).catch(() => 0);
  }
}
