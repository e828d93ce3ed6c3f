/**
 * Nearest-rank percentile `p` (0–100] of an ascending array: the smallest value
 * with at least p % of the values at or below it; NaN when empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
