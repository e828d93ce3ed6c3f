import { mergeReading, windowValues, type Resolution, type WindowReading, type WindowValues } from '@ringtail/model';
import { QueryRangeError } from './errors.ts';

/**
 * The resolution a step is read at: the coarsest one whose window divides the
 * step (fewest reads, exact re-aggregation). Without a step, the finest.
 */
export function resolutionForStep(resolutions: readonly Resolution[], stepMs?: number): Resolution {
  const finest = resolutions[0];
  if (finest === undefined) throw new QueryRangeError('step', 'no resolutions configured');
  if (stepMs === undefined) return finest;
  let chosen: Resolution | undefined;
  for (const r of resolutions) if (r.stepMs <= stepMs && stepMs % r.stepMs === 0) chosen = r;
  if (chosen === undefined) {
    throw new QueryRangeError('step', `${stepMs} ms is not a multiple of any resolution (${resolutions.map((r) => r.name).join(', ')})`);
  }
  return chosen;
}

/**
 * Merges windows into steps of `stepMs` aligned to the epoch. Input windows
 * may come in any order; output is sorted by step start. Exact: sums merge as
 * scaled integers and are rounded once per step.
 */
export function aggregateSteps(windows: readonly { startMs: number; reading: WindowReading }[], stepMs: number): WindowValues[] {
  const steps = new Map<number, WindowReading>();
  for (const { startMs, reading } of windows) {
    const stepStart = Math.floor(startMs / stepMs) * stepMs;
    const acc = steps.get(stepStart);
    if (acc === undefined) steps.set(stepStart, { ...reading });
    else mergeReading(acc, reading);
  }
  return [...steps]
    .sort(([a], [b]) => a - b)
    .map(([startMs, r]) => windowValues(startMs, r));
}
