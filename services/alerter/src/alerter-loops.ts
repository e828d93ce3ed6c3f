import type { Logger } from '@ringtail/runtime';
import type { AlertEvaluator } from './alert-evaluator.ts';
import type { AlerterMetrics } from './alerter-metrics.ts';
import type { ChangeFollower } from './change-follower.ts';
import type { ChangeRouter } from './change-router.ts';
import type { Dispatcher } from './dispatcher.ts';
import { LeaseLostError } from './errors.ts';
import type { LeaderLease } from './leader-lease.ts';
import { Ticker } from './ticker.ts';

/** XREAD BLOCK time: also how long `stop()` may wait for the change loop. */
const CHANGE_BLOCK_MS = 500;
/** Pause before following the change streams again after Redis failed. */
const CHANGE_RETRY_MS = 500;
/** Longest pause before retrying a failed evaluation (shorter when the interval is). */
const EVALUATION_RETRY_MS = 1000;

export interface AlerterLoopsDeps {
  readonly lease: LeaderLease;
  readonly evaluator: AlertEvaluator;
  readonly dispatcher: Dispatcher;
  /** Change-driven evaluation; null: the periodic evaluation only. */
  readonly changes: { readonly follower: ChangeFollower; readonly router: ChangeRouter } | null;
  readonly metrics: AlerterMetrics;
  readonly clock: () => number;
  readonly leaseTtlMs: number;
  readonly evalIntervalMs: number;
  readonly log: Logger;
}

/**
 * The alerter's loops. The lease loop renews (or competes for) the leader
 * lease every third of its TTL. While this instance leads, the change loop
 * follows the shard workers' change streams and marks the rules whose
 * selectors match a changed series; the evaluation loop evaluates those rules
 * at once, every rule whose `for` or `keep_firing_for` deadline has come (a
 * timer at that instant, not a tick), and each `evalIntervalMs` every rule not
 * evaluated within the last interval (the safety net: no-data policies, a
 * lost or trimmed announcement). A new leader term, a slot without a cursor
 * and a trimmed stream evaluate every rule at once; losing the lease drops the
 * evaluator's cached state. Change stream cursors are saved only after the
 * evaluation covering them committed.
 */
export class AlerterLoops {
  private running = false;
  private leaseAnswered = false;
  private readonly evalTicker = new Ticker();
  private readonly leaseTicker = new Ticker();
  private readonly changeTicker = new Ticker();
  private loops: Promise<void>[] = [];
  /** Work the change loop hands to the evaluation loop. */
  private fullRequested = false;
  private dirtyRules = new Set<string>();
  private pendingCursors = new Map<number, string>();
  /** Time of the oldest change entry behind `dirtyRules` (Redis's clock, epoch ms); null: none. */
  private dirtySinceMs: number | null = null;

  constructor(private readonly d: AlerterLoopsDeps) {}

  /** True once the lease loop has heard from Redis (leader or not). */
  ready(): boolean {
    return this.leaseAnswered;
  }

  /** Starts the loops; `onEscape` gets an error that escaped a loop (a bug: each loop catches what it expects). */
  start(onEscape: (err: unknown) => void): void {
    this.running = true;
    const loops = [this.leaseLoop(), this.evaluationLoop()];
    if (this.d.changes) loops.push(this.changeLoop(this.d.changes.follower, this.d.changes.router));
    this.loops = loops.map((loop) => loop.catch(onEscape));
  }

  /** Ends the loops after their current step. */
  async stop(): Promise<void> {
    this.running = false;
    this.evalTicker.wake();
    this.leaseTicker.wake();
    this.changeTicker.wake();
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
          if (held) {
            this.evalTicker.wake();
            this.changeTicker.wake();
          } else this.d.evaluator.invalidate();
        }
        wasLeader = held;
      } catch (err) {
        log.warn({ err }, 'lease refresh failed');
      }
      await this.leaseTicker.wait(this.d.leaseTtlMs / 3);
    }
  }

  private async changeLoop(follower: ChangeFollower, router: ChangeRouter): Promise<void> {
    const { lease, metrics } = this.d;
    const log = this.d.log.child({ component: 'changes' });
    let followingTerm: string | null = null;
    while (this.running) {
      const leaseValue = lease.value();
      if (leaseValue === null) {
        followingTerm = null;
        await this.changeTicker.wait(this.d.leaseTtlMs / 3);
        continue;
      }
      try {
        if (followingTerm !== leaseValue) {
          const start = await follower.load();
          followingTerm = leaseValue;
          if (start.gapSlots > 0) {
            metrics.changeGaps.inc(start.gapSlots);
            log.warn({ slots: start.gapSlots }, 'change streams trimmed past the stored cursors; evaluating every rule');
          }
          for (const [slot, id] of start.initialCursors) if (!this.pendingCursors.has(slot)) this.pendingCursors.set(slot, id);
          if (start.needsFullEvaluation) this.requestFull();
        }
        const batch = await follower.next(CHANGE_BLOCK_MS);
        if (batch === null) continue;
        if (batch.oldestEntryMs !== null) metrics.changeReadLagMs.observe(Math.max(0, this.d.clock() - batch.oldestEntryMs));
        const rules = await router.rulesOf(batch.seriesIds);
        metrics.changeEntries.inc(batch.entries);
        // The rules are evaluated at once, while the trim check runs; the batch's cursors wait for
        // it: a cursor saved past trimmed announcements must have the full evaluation requested first.
        if (rules.size > 0) {
          for (const r of rules) this.dirtyRules.add(r);
          if (batch.oldestEntryMs !== null) this.dirtySinceMs = Math.min(this.dirtySinceMs ?? Infinity, batch.oldestEntryMs);
          this.evalTicker.wake();
        }
        if (await follower.trimmedBefore(batch)) {
          metrics.changeGaps.inc();
          log.warn('change stream trimmed entries before they were read; evaluating every rule');
          this.fullRequested = true;
        }
        for (const [slot, id] of batch.cursors) this.pendingCursors.set(slot, id);
        this.evalTicker.wake();
      } catch (err) {
        if (!this.running) break;
        // The stored cursors still say where to resume; the periodic evaluation covers the meantime.
        log.warn({ err }, 'following the change streams failed; retrying');
        followingTerm = null;
        await this.changeTicker.wait(CHANGE_RETRY_MS);
      }
    }
  }

  private requestFull(): void {
    this.fullRequested = true;
    this.evalTicker.wake();
  }

  private async evaluationLoop(): Promise<void> {
    const { lease, evaluator, clock, evalIntervalMs, metrics } = this.d;
    const log = this.d.log.child({ component: 'evaluation' });
    let term: string | null = null;
    let nextFullAtMs = 0;
    let retryAtMs = 0;
    // Every deadline up to here was covered by a committed tick (each tick takes in every rule due by its time).
    let coveredMs = -Infinity;
    while (this.running) {
      const leaseValue = lease.value();
      if (leaseValue === null) {
        term = null;
        await this.evalTicker.wait(evalIntervalMs);
        continue;
      }
      if (leaseValue !== term) {
        term = leaseValue;
        nextFullAtMs = 0;
        retryAtMs = 0;
        coveredMs = -Infinity;
      }
      const startedMs = clock();
      if (startedMs >= retryAtMs) {
        const takeover = this.fullRequested || nextFullAtMs === 0;
        const periodic = !takeover && startedMs >= nextFullAtMs;
        const deadline = evaluator.loaded(leaseValue) ? evaluator.nextDeadlineMs(coveredMs) : null;
        // The periodic pass covers the rules no change evaluated within the interval: with every rule's
        // series changing all the time it costs next to nothing, and it leaves room for the changes.
        const rules = takeover
          ? null
          : new Set([...this.dirtyRules, ...evaluator.rulesDueBy(coveredMs, startedMs), ...(periodic ? evaluator.rulesNotEvaluatedSince(startedMs - evalIntervalMs) : [])]);
        const full = takeover || periodic;
        const trigger = takeover ? 'takeover' : periodic ? 'periodic' : this.dirtyRules.size > 0 ? 'change' : 'deadline';
        const cursors = this.pendingCursors;
        const dirtySinceMs = this.dirtySinceMs;
        if (dirtySinceMs !== null) metrics.changeEvaluationLagMs.observe(Math.max(0, startedMs - dirtySinceMs));
        this.fullRequested = false;
        this.dirtyRules = new Set();
        this.dirtySinceMs = null;
        this.pendingCursors = new Map();
        if (full || rules!.size > 0 || (deadline !== null && deadline <= startedMs)) {
          try {
            if ((await evaluator.tick(leaseValue, rules ?? undefined)) > 0) this.d.dispatcher.wake();
            metrics.evaluationTriggers.inc({ trigger });
            coveredMs = startedMs;
            if (full) nextFullAtMs = startedMs + evalIntervalMs;
            await this.saveCursors(cursors, log);
          } catch (err) {
            metrics.evaluationFailures.inc({ reason: (err as { code?: string }).code ?? 'unknown' });
            if (err instanceof LeaseLostError) evaluator.invalidate();
            log.warn({ err }, 'evaluation tick failed; alert state unchanged');
            // Nothing evaluated is lost: the work goes back for the retry.
            if (takeover) this.fullRequested = true;
            for (const r of rules ?? []) this.dirtyRules.add(r);
            if (dirtySinceMs !== null) this.dirtySinceMs = Math.min(this.dirtySinceMs ?? Infinity, dirtySinceMs);
            for (const [slot, id] of cursors) if (!this.pendingCursors.has(slot)) this.pendingCursors.set(slot, id);
            retryAtMs = clock() + Math.min(evalIntervalMs, EVALUATION_RETRY_MS);
          }
        } else {
          // Announcements that concern no rule need no evaluation to be covered.
          await this.saveCursors(cursors, log);
        }
      }
      await this.evalTicker.wait(this.waitMs(nextFullAtMs, retryAtMs, coveredMs, leaseValue));
    }
  }

  /** Until the next thing to do: a full evaluation, a deadline, a retry, or at once if work is waiting. */
  private waitMs(nextFullAtMs: number, retryAtMs: number, coveredMs: number, leaseValue: string): number {
    const nowMs = this.d.clock();
    const pending = this.fullRequested || this.dirtyRules.size > 0 || this.pendingCursors.size > 0;
    const deadline = this.d.evaluator.loaded(leaseValue) ? this.d.evaluator.nextDeadlineMs(coveredMs) : null;
    const untilMs = Math.min(nextFullAtMs, deadline ?? Infinity, pending ? nowMs : Infinity);
    return Math.max(untilMs, retryAtMs) - nowMs;
  }

  private async saveCursors(cursors: ReadonlyMap<number, string>, log: Logger): Promise<void> {
    if (!this.d.changes || cursors.size === 0) return;
    try {
      await this.d.changes.follower.save(cursors);
    } catch (err) {
      // A cursor left behind only makes a restarted alerter re-read entries its full evaluation covers anyway.
      log.warn({ err }, 'saving change stream cursors failed');
    }
  }
}
