import { backoffDelayMs, type BackoffPolicy } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { isRetriable } from './errors.ts';
import type { ShardMetrics } from './shard-metrics.ts';

/** What retrying a Redis (or DLQ) operation needs: the backoff, its randomness and sleep, and where failures are counted. */
export interface RetryContext {
  readonly metrics: ShardMetrics;
  readonly log: Logger;
  readonly retry: BackoffPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** Counts a failed flush, compaction or wait under its error code (`UNKNOWN` without one). */
export function countFailure(metrics: ShardMetrics, err: unknown): void {
  const code = (err as { code?: unknown }).code;
  metrics.flushFailures.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
}

/** Runs `op` until it succeeds or fails with a non-retriable error; never gives up on transient faults. */
export async function retrying<T>(c: RetryContext, operation: string, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isRetriable(err)) throw err;
      countFailure(c.metrics, err);
      const delayMs = backoffDelayMs(c.retry, attempt, c.random());
      c.log.warn({ err, operation, attempt, delayMs }, 'redis operation failed, retrying');
      await c.sleep(delayMs);
    }
  }
}
