import { mergeReading, windowValues, type WindowReading, type WindowValues } from '@ringtail/model';

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
