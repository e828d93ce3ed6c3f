import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import type { StackEndpoints } from '@ringtail/stack';

export { stackEnv } from './stack-env.ts';

/** The stack the global setup started. */
export function stackEndpoints(): StackEndpoints {
  return inject('stack');
}

/** A fresh namespace so each test has its own topics, groups and Redis keys. */
export function randomNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}.`;
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
