import { WaitTimeoutError, eventually } from '@ringtail/runtime';

/**
 * True once `check` holds, false when it did not within `timeoutMs`: for
 * benchmarks and suites that report a condition that never came true instead
 * of failing on it. Any other error still throws.
 */
export function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, intervalMs = 100): Promise<boolean> {
  return eventually(what, timeoutMs, check, intervalMs).then(
    () => true,
    (err: unknown) => {
      if (err instanceof WaitTimeoutError) return false;
      throw err;
    },
  );
}
