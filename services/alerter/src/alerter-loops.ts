import type { Logger } from '@ringtail/runtime';
import type { AlertEvaluator } from './alert-evaluator.ts';
import type { AlerterMetrics } from './alerter-metrics.ts';
import type { Dispatcher } from './dispatcher.ts';
import { LeaseLostError } from './errors.ts';
import type { LeaderLease } from './leader-lease.ts';
import { Ticker } from './ticker.ts';

export interface AlerterLoopsDeps {
  readonly lease: LeaderLease;
  readonly evaluator: AlertEvaluator;
  readonly dispatcher: Dispatcher;
  readonly metrics: AlerterMetrics;
  readonly clock: () => number;
  readonly leaseTtlMs: number;
  readonly evalIntervalMs: number;
  readonly log: Logger;
}

/**
 * The alerter's two loops: the lease loop renews (or competes for) the leader
 * lease every third of its TTL, and the evaluation loop ticks every
 * `evalIntervalMs` while this instance leads, waking the dispatcher when a
 * tick enqueued notifications. Becoming leader evaluates at once; losing the
 * lease drops the evaluator's cached state.
 */
export class AlerterLoops {
  private running = false;
  private leaseAnswered = false;
  private readonly evalTicker = new Ticker();
  private readonly leaseTicker = new Ticker();
  private loops: Promise<void>[] = [];

  constructor(private readonly d: AlerterLoopsDeps) {}

  /** True once the lease loop has heard from Redis (leader or not). */
  ready(): boolean {
    return this.leaseAnswered;
  }

  /** Starts both loops; `onEscape` gets an error that escaped a loop (a bug: each loop catches what it expects). */
  start(onEscape: (err: unknown) => void): void {
    this.running = true;
    this.loops = [this.leaseLoop(), this.evaluationLoop()].map((loop) => loop.catch(onEscape));
  }

  /** Ends both loops after their current step. */
  async stop(): Promise<void> {
    this.running = false;
    this.evalTicker.wake();
    this.leaseTicker.wake();
    await Promise.all(this.loops);
  }

  private async leaseLoop(): Promise<void> {
    const { lease, metrics } = this.d;
    const log = this.d.log.child({ component: 'lease' });
    let wasLeader = false;
    while (this.running) {
      try {
        const held = (await lease.refresh()) !== null;
        this.leaseAnswered = true;
        if (held !== wasLeader) {
          log.info({ instanceId: lease.instanceId, leader: held }, held ? 'became leader' : 'lost leadership');
          metrics.isLeader.set(held ? 1 : 0);
          if (held) this.evalTicker.wake();
          else this.d.evaluator.invalidate();
        }
        wasLeader = held;
      } catch (err) {
        log.warn({ err }, 'lease refresh failed');
      }
      await this.leaseTicker.wait(this.d.leaseTtlMs / 3);
    }
  }

  private async evaluationLoop(): Promise<void> {
    const { lease, evaluator, clock } = this.d;
    const log = this.d.log.child({ component: 'evaluation' });
    while (this.running) {
      const startedMs = clock();
      const leaseValue = lease.value();
      if (leaseValue !== null) {
        try {
          if ((await evaluator.tick(leaseValue)) > 0) this.d.dispatcher.wake();
        } catch (err) {
          this.d.metrics.evaluationFailures.inc({ reason: (err as { code?: string }).code ?? 'unknown' });
          if (err instanceof LeaseLostError) evaluator.invalidate();
          log.warn({ err }, 'evaluation tick failed; alert state unchanged');
        }
      }
      await this.evalTicker.wait(this.d.evalIntervalMs - (clock() - startedMs));
    }
  }
}
