import type { Resolution } from '@ringtail/model';
import { QueryRangeError } from './errors.ts';

/** Windows one series may be read over before a coarser resolution is picked. */
export const MAX_WINDOWS_PER_SERIES = 360;

export interface ResolutionNeed {
  /** Length of the range read, ms. */
  readonly rangeMs: number;
  /** Step of the points wanted, ms; undefined: let the range decide. */
  readonly stepMs?: number;
}

/**
 * The one resolution picker, for queries and alert rules alike (`resolutions`
 * finest first, as RESOLUTIONS lists them):
 * - with a step: the coarsest resolution whose window divides the step — fewest
 *   reads, and the steps re-aggregate exactly; QueryRangeError (`step`) when none does;
 * - without: the finest resolution that covers the range within its retention
 *   in at most MAX_WINDOWS_PER_SERIES windows; the coarsest when none does.
 */
export function pickResolution(resolutions: readonly Resolution[], need: ResolutionNeed): Resolution {
  const coarsest = resolutions[resolutions.length - 1];
  if (coarsest === undefined) throw new QueryRangeError('step', 'no resolutions configured');
  const { rangeMs, stepMs } = need;
  if (stepMs === undefined) {
    return resolutions.find((r) => Math.ceil(rangeMs / r.stepMs) + 1 <= MAX_WINDOWS_PER_SERIES && r.retentionMs >= rangeMs) ?? coarsest;
  }
  const dividing = resolutions.filter((r) => r.stepMs <= stepMs && stepMs % r.stepMs === 0);
  const chosen = dividing[dividing.length - 1];
  if (chosen === undefined) {
    throw new QueryRangeError('step', `${stepMs} ms is not a multiple of any resolution (${resolutions.map((r) => r.name).join(', ')})`);
  }
  return chosen;
}
