import type { Logger } from '@ringtail/runtime';
import type { AlerterMetrics } from './alerter-metrics.ts';
import { backoffDelayMs } from '@ringtail/model';
import { verdictOf } from './domain/delivery-attempt.ts';
import type { Receiver } from './domain/rule.ts';
import { LeaseLostError } from './errors.ts';
import type { OutboxEntry, OutboxPoll, Settlement } from './outbox.ts';
import type { WebhookSender } from './webhook-sender.ts';

/** What the dispatcher needs of the outbox (the Redis Streams `Outbox`, or a fake in tests). */
export interface DeliveryOutbox {
  /** Disabled receivers and the entries due, and whether `minReplicas` replicas hold them (waiting at most `timeoutMs`). */
  poll(nowMs: number, limit: number, minReplicas: number, timeoutMs: number): Promise<OutboxPoll>;
  /** Records an attempt's outcome under the lease `leaseValue` (false: it was settled already); throws LeaseLostError when fenced. */
  settle(leaseValue: string, entry: OutboxEntry, settlement: Settlement): Promise<boolean>;
}

/** What the dispatcher needs of the leader lease: the value it holds, or null. */
export interface LeaseHolder {
  value(): string | null;
}

export interface DispatcherOptions {
  readonly outbox: DeliveryOutbox;
  readonly lease: LeaseHolder;
  readonly send: WebhookSender;
  readonly receivers: () => ReadonlyMap<string, Receiver>;
  readonly clock: () => number;
  readonly random: () => number;
  readonly log: Logger;
  readonly metrics: AlerterMetrics;
  /** Attempts in flight at once, across receivers. */
  readonly concurrency: number;
  /** How often the outbox is polled when nothing wakes the dispatcher. */
  readonly pollMs: number;
  /** Replicas that must hold an enqueued notification before it is sent (see Outbox.replicated). */
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
}

/**
 * Delivers the outbox while this instance leads: due entries are sent
 * concurrently, each outcome settled by a fenced script (acknowledged,
 * rescheduled with jittered backoff or Retry-After, dead-lettered, or the
 * receiver disabled on 410). A receiver that answered 429 is paused as a whole.
 */
export class Dispatcher {
  private readonly inFlight = new Set<string>();
  /**
   * Entry id → sequence number of its settlement, for settlements newer than
   * the outbox read of the current poll. An attempt can settle while a poll
   * waits for its `due` read and WAIT, so that read may still list an entry
   * that was just acknowledged (or rescheduled): it must not be sent again.
   */
  private readonly settledAt = new Map<string, number>();
  private settlements = 0;
  private readonly pausedUntilMs = new Map<string, number>();
  private wakeUp: (() => void) | null = null;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Looks at the outbox now (called after a commit enqueued notifications). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops fetching; waits for attempts in flight to settle. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async run(): Promise<void> {
    while (this.running) {
      const woken = new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        setTimeout(resolve, this.o.pollMs).unref();
      });
      try {
        await this.dispatchDue();
      } catch (err) {
        this.o.log.warn({ err }, 'outbox poll failed');
      }
      await woken;
    }
  }

  private async dispatchDue(): Promise<void> {
    const leaseValue = this.o.lease.value();
    if (leaseValue === null) return;
    const free = this.o.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const nowMs = this.o.clock();
    const readFrom = this.settlements;
    // Settlements before this read are reflected in it.
    for (const [id, seq] of this.settledAt) if (seq <= readFrom) this.settledAt.delete(id);
    // One round trip: a notification just committed goes out after it alone (and the POST).
    const { disabled, entries, replicated } = await this.o.outbox.poll(nowMs, free + this.inFlight.size, this.o.minReplicas, this.o.replicaWaitMs);
    if (entries.length === 0) return;
    if (!replicated) {
      this.o.log.warn({ minReplicas: this.o.minReplicas, timeoutMs: this.o.replicaWaitMs }, 'outbox not replicated yet; holding deliveries');
      return;
    }
    for (const entry of entries) {
      if (this.inFlight.has(entry.entryId) || (this.pausedUntilMs.get(entry.receiver) ?? 0) > nowMs) continue;
      if ((this.settledAt.get(entry.entryId) ?? 0) > readFrom) continue;
      if (this.inFlight.size >= this.o.concurrency) break;
      this.inFlight.add(entry.entryId);
      void this.attempt(leaseValue, entry, disabled.has(entry.receiver))
        .then(
          // A free slot may let the next due entry go without waiting for the poll.
          () => this.wake(),
          // The entry stays due; the next poll (not an immediate wake, which would spin) tries again.
          (err: unknown) => this.o.log.error({ err, webhookId: entry.webhookId }, 'webhook attempt failed unexpectedly'),
        )
        .finally(() => this.inFlight.delete(entry.entryId));
    }
  }

  private async attempt(leaseValue: string, entry: OutboxEntry, receiverDisabled: boolean): Promise<void> {
    const receiver = this.o.receivers().get(entry.receiver);
    const log = this.o.log.child({ webhookId: entry.webhookId, receiver: entry.receiver });
    const dead = (reason: string, action: 'dead' | 'disable' = 'dead', attempts = entry.attempts): Settlement => ({ action, nowMs: this.o.clock(), attempts, reason });
    let settlement: Settlement;
    if (entry.body === '') settlement = dead('outbox entry was trimmed before delivery');
    else if (!receiver) settlement = dead(`receiver '${entry.receiver}' is not in the rule file`);
    else if (receiverDisabled) settlement = dead(`receiver '${entry.receiver}' is disabled (410 Gone)`);
    else {
      // Re-check just before sending: a lease lost while queued must not send.
      if (this.o.lease.value() !== leaseValue) return;
      const result = await this.o.send(receiver, entry);
      const verdict = verdictOf(result.status);
      this.o.metrics.attempts.inc({ outcome: result.status === null ? 'network' : String(result.status) });
      const attempts = entry.attempts + 1;
      if (verdict === 'delivered') settlement = { action: 'ack' };
      else if (verdict === 'disable') settlement = dead('HTTP 410 Gone: receiver disabled', 'disable', attempts);
      else if (verdict === 'reject') settlement = dead(`HTTP ${result.status}: request refused`, 'dead', attempts);
      else if (attempts >= receiver.maxAttempts) {
        settlement = dead(`gave up after ${attempts} attempts (last: ${result.status ?? String(result.error)})`, 'dead', attempts);
      } else {
        const delayMs = result.retryAfterMs ?? backoffDelayMs({ initialMs: receiver.retryInitialMs, maxMs: receiver.retryMaxMs }, attempts, this.o.random());
        if (result.status === 429 || result.status === 503) this.pausedUntilMs.set(receiver.name, this.o.clock() + delayMs);
        settlement = { action: 'retry', dueMs: this.o.clock() + delayMs, attempts };
        log.info({ status: result.status, attempts, delayMs, err: result.error }, 'webhook attempt failed, retrying');
      }
    }
    try {
      await this.o.outbox.settle(leaseValue, entry, settlement);
      this.settledAt.set(entry.entryId, ++this.settlements);
    } catch (err) {
      // Unsettled entries stay due: the next leader (or this one) sends them again with the same webhook-id.
      if (err instanceof LeaseLostError) log.warn({ err }, 'lease lost before settling a webhook attempt');
      else log.error({ err }, 'settling a webhook attempt failed');
      return;
    }
    if (settlement.action === 'ack') {
      this.o.metrics.delivered.inc();
      this.o.metrics.deliveryLatencyMs.observe(this.o.clock() - entry.createdAtMs);
    } else if (settlement.action === 'dead' || settlement.action === 'disable') {
      this.o.metrics.deadLetters.inc();
      log.warn({ reason: settlement.reason, attempts: settlement.attempts }, 'webhook dead-lettered');
    }
  }
}
