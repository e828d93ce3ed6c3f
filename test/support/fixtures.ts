import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import type { StackEndpoints } from '@ringtail/stack';

/** The stack the global setup started. */
export function stackEndpoints(): StackEndpoints {
  return inject('stack');
}

/** A fresh namespace so each test has its own topics, groups and Redis keys. */
export function randomNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}.`;
}

/** Environment a Ringtail service needs to reach the test stack. */
export function stackEnv(e: StackEndpoints, namespace: string): Record<string, string> {
  return {
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    REDIS_SENTINELS: e.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_MASTER: e.sentinelMasterName,
    RINGTAIL_NAMESPACE: namespace,
  };
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
