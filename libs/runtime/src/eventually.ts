import { setTimeout as sleep } from 'node:timers/promises';

/** `eventually` gave up: the condition did not hold within the timeout. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError' as const;
  readonly code = 'WAIT_TIMEOUT' as const;
  readonly retriable = true as const;
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`, options);
  }
}

/**
 * Polls `check` every `intervalMs` until it returns something other than
 * `undefined` or `false`, and resolves with that. A check that throws counts as
 * "not yet"; after `timeoutMs` it rejects with WaitTimeoutError naming `what`,
 * the last error as its cause. The one way Ringtail waits on a condition —
 * the stack launcher, the tests and the benchmarks — never a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  intervalMs = 100,
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeoutMs, { cause: lastError });
    await sleep(intervalMs);
  }
}
