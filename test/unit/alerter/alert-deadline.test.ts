import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deadlineMs, step, type Lifecycle } from '../../../services/alerter/src/domain/alert.ts';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('alerter/alert-deadline');
const T0 = 1_700_000_000_000;

/** The lifecycle after `steps` evaluations, each at `gapMs` after the last, with the given conditions. */
function afterSteps(conditions: readonly boolean[], gapMs: number, forMs: number, keepFiringForMs: number): { state: Lifecycle | undefined; nowMs: number } {
  let state: Lifecycle | undefined;
  let nowMs = T0;
  for (const condition of conditions) {
    nowMs += gapMs;
    state = step(state, { condition, nowMs, forMs, keepFiringForMs }) ?? undefined;
  }
  return { state, nowMs };
}

describe('deadlineMs', () => {
  it('is the first instant at which an unchanged condition changes the alert', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (conditions, gapMs, forMs, keepFiringForMs) => {
          const { state, nowMs } = afterSteps(conditions, gapMs, forMs, keepFiringForMs);
          if (!state) return;
          const due = deadlineMs(state, forMs, keepFiringForMs);
          const condition = conditions.at(-1)!;
          const at = (t: number) => step(state, { condition, nowMs: t, forMs, keepFiringForMs });
          if (due === null) {
            // No deadline: nothing changes the lifecycle state later with the same condition (resolved alerts only age out).
            if (state.state !== 'resolved') expect(at(nowMs + 60_000)?.state).toBe(state.state);
            return;
          }
          expect(due).toBeGreaterThanOrEqual(nowMs);
          if (due > nowMs) expect(at(due - 1)?.state).toBe(state.state);
          expect(at(due)?.state).not.toBe(state.state);
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});
