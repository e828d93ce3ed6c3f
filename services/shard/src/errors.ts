/**
 * Error catalogue of the shard worker. Check errors by class or `code`, never by
 * message text; `retriable` says whether the same flush may simply be retried.
 */

/** A watermark in Redis holds neither the expected nor the new value: another writer moved it. */
export class FlushFencedError extends Error {
  override readonly name = 'FlushFencedError' as const;
  readonly code = 'SHARD_FLUSH_FENCED' as const;
  // Retrying the same batch would fence again: the partition is re-read from Kafka instead.
  readonly retriable = false as const;
  constructor(readonly slot: number) {
    super(`watermarks of slot ${slot} were moved by another writer`);
  }
}

/**
 * The slot's closed-through moved since the batch's samples were judged (a
 * compaction by another owner, or one a failover lost): writing the batch could
 * re-create a compacted window. The partition is re-read with the stored state.
 */
export class ClosedWindowsMovedError extends Error {
  override readonly name = 'ClosedWindowsMovedError' as const;
  readonly code = 'SHARD_CLOSED_WINDOWS_MOVED' as const;
  readonly retriable = false as const;
  constructor(readonly slot: number) {
    super(`closed windows of slot ${slot} moved since its batch was judged`);
  }
}

/** A compaction script refused its input or answered with an unknown reply: a bug, not a transient fault. */
export class CompactionScriptError extends Error {
  override readonly name = 'CompactionScriptError' as const;
  readonly code = 'SHARD_COMPACTION_SCRIPT' as const;
  readonly retriable = false as const;
  constructor(
    readonly script: string,
    readonly reply: unknown,
    readonly slot: number,
  ) {
    super(`${script} answered ${JSON.stringify(reply)} for slot ${slot}`);
  }
}

/** The flush script rejected its payload or answered with an unknown code: a bug, not a transient fault. */
export class FlushScriptError extends Error {
  override readonly name = 'FlushScriptError' as const;
  readonly code = 'SHARD_FLUSH_SCRIPT' as const;
  readonly retriable = false as const;
  constructor(
    readonly reply: unknown,
    readonly shardPartition: number,
  ) {
    super(`flush script answered ${String(reply)} for shard partition ${shardPartition}`);
  }
}

/** Redis did not answer (connection lost, failover, timeout). The same flush is retried. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError' as const;
  readonly code = 'SHARD_REDIS_UNAVAILABLE' as const;
  readonly retriable = true as const;
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`redis ${operation} failed`, options);
  }
}

/**
 * WAIT saw fewer replicas than required (or, with `timeoutMs` null, fewer were
 * online, so WAIT was not tried): the write could die with the primary.
 * Retried; offsets stay uncommitted.
 */
export class ReplicationTimeoutError extends Error {
  override readonly name = 'ReplicationTimeoutError' as const;
  readonly code = 'SHARD_REPLICATION_TIMEOUT' as const;
  readonly retriable = true as const;
  constructor(
    readonly acknowledged: number,
    readonly required: number,
    /** How long WAIT waited; null: it was skipped, too few replicas being online. */
    readonly timeoutMs: number | null,
  ) {
    super(timeoutMs === null ? `WAIT skipped: ${acknowledged} of ${required} replicas online` : `WAIT: ${acknowledged} of ${required} replicas acknowledged within ${timeoutMs} ms`);
  }
}

export type ShardError = FlushFencedError | ClosedWindowsMovedError | CompactionScriptError | FlushScriptError | RedisUnavailableError | ReplicationTimeoutError;

/** True for errors a flush retry can cure; unknown errors count as transient (a Redis client error). */
export function isRetriable(err: unknown): boolean {
  if (err instanceof Error && 'retriable' in err) return (err as { retriable: unknown }).retriable === true;
  return true;
}
