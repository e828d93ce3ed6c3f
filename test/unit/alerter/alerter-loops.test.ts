import { describe, expect, it } from 'vitest';
import { MetricsRegistry, createLogger, eventually } from '@ringtail/runtime';
import type { AlertEvaluator } from '../../../services/alerter/src/alert-evaluator.ts';
import { alerterMetrics } from '../../../services/alerter/src/alerter-metrics.ts';
import { AlerterLoops } from '../../../services/alerter/src/alerter-loops.ts';
import type { ChangeBatch, ChangeFollower, FollowStart } from '../../../services/alerter/src/change-follower.ts';
import type { ChangeRouter } from '../../../services/alerter/src/change-router.ts';
import type { Dispatcher } from '../../../services/alerter/src/dispatcher.ts';
import type { LeaderLease } from '../../../services/alerter/src/leader-lease.ts';

const LEASE = '1 instance-a';
const WAIT_MS = 5000;

/**
 * A change follower that announces one batch (series `s1` on slot 0) and then
 * nothing; its trim check waits for the test to answer it.
 */
class OneBatchFollower {
  private announced = false;
  answerTrimCheck: ((gap: boolean) => void) | null = null;

  constructor(private readonly events: string[]) {}

  async load(): Promise<FollowStart> {
    return { needsFullEvaluation: false, gapSlots: 0, initialCursors: new Map() };
  }

  async next(): Promise<ChangeBatch | null> {
    if (!this.announced) {
      this.announced = true;
      return { seriesIds: new Set(['s1']), cursors: new Map([[0, '5-0']]), entries: 1, oldestEntryMs: Date.now(), from: new Map([[0, '4-0']]) };
    }
    await new Promise((r) => setTimeout(r, 10));
    return null;
  }

  trimmedBefore(): Promise<boolean> {
    return new Promise((resolve) => (this.answerTrimCheck = resolve));
  }

  async save(cursors: ReadonlyMap<number, string>): Promise<void> {
    for (const [slot, id] of cursors) this.events.push(`save ${slot}=${id}`);
  }
}

/** An evaluator with no alerts that records each tick: `tick all` or `tick <rules>`. */
function recordingEvaluator(events: string[]): AlertEvaluator {
  const fake = {
    invalidate: () => undefined,
    loaded: () => true,
    nextDeadlineMs: () => null,
    rulesDueBy: () => new Set<string>(),
    rulesNotEvaluatedSince: () => new Set<string>(),
    tick: async (_lease: string, only?: ReadonlySet<string>) => {
      events.push(only ? `tick ${[...only].sort().join(',')}` : 'tick all');
      return 0;
    },
  };
  return fake as unknown as AlertEvaluator;
}

describe('AlerterLoops', () => {
  it("evaluates an announcement's rules while its trim check runs, and saves its cursors only after the full evaluation a gap asks for", async () => {
    const events: string[] = [];
    const follower = new OneBatchFollower(events);
    const loops = new AlerterLoops({
      lease: { instanceId: 'instance-a', refresh: async () => LEASE, value: () => LEASE } as unknown as LeaderLease,
      evaluator: recordingEvaluator(events),
      dispatcher: { wake: () => undefined } as unknown as Dispatcher,
      changes: {
        follower: follower as unknown as ChangeFollower,
        router: { rulesOf: async (ids: Iterable<string>) => new Set([...ids].map((id) => `rule-of-${id}`)) } as unknown as ChangeRouter,
      },
      metrics: alerterMetrics(new MetricsRegistry()),
      clock: () => Date.now(),
      leaseTtlMs: 60_000,
      // No periodic pass during the test: only the takeover, the change and the gap evaluate.
      evalIntervalMs: 600_000,
      log: createLogger('alerter-loops-test', 'silent'),
    });
    loops.start((err) => events.push(`escaped ${String(err)}`));
    try {
      await eventually('the rule evaluated while the trim check is unanswered', WAIT_MS, async () => (events.includes('tick rule-of-s1') && follower.answerTrimCheck !== null ? true : undefined));
      // Settle whatever the loops still had queued: nothing may save the cursor before the check answers.
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual(['tick all', 'tick rule-of-s1']);

      follower.answerTrimCheck!(true);
      await eventually('the cursor saved', WAIT_MS, async () => (events.includes('save 0=5-0') ? true : undefined));
      expect(events).toEqual(['tick all', 'tick rule-of-s1', 'tick all', 'save 0=5-0']);
    } finally {
      // A trim check still waiting would keep the change loop from stopping.
      follower.answerTrimCheck?.(false);
      await loops.stop();
    }
  });
});
