/**
 * Error catalogue of `@ringtail/ingest`. Check by class or `code`. Rejected
 * input is not an error here: it is data (`Rejection`) and goes to the DLQ.
 */

/** A write to the shard topics or the DLQ was not acknowledged; the same batches are written again. */
export class ShardWriteError extends Error {
  override readonly name = 'ShardWriteError' as const;
  readonly code = 'INGEST_SHARD_WRITE_FAILED' as const;
  readonly retriable = true as const;

  constructor(
    readonly rawTopic: string,
    readonly rawPartitions: readonly number[],
    options: { cause: unknown },
  ) {
    super(`writing the routed batches of ${rawTopic}[${rawPartitions.join(',')}] failed`, options);
  }
}

/** Committing raw offsets failed after the writes were acknowledged; a replay duplicates, which the shard skips. */
export class OffsetCommitError extends Error {
  override readonly name = 'OffsetCommitError' as const;
  readonly code = 'INGEST_COMMIT_FAILED' as const;
  readonly retriable = true as const;

  constructor(
    readonly rawTopic: string,
    /** Next offset to read, per raw partition. */
    readonly offsets: readonly { readonly partition: number; readonly offset: string }[],
    options: { cause: unknown },
  ) {
    super(`committing ${rawTopic} at ${offsets.map((o) => `[${o.partition}]@${o.offset}`).join(',')} failed`, options);
  }
}

export { TopicLayoutError } from '@ringtail/runtime';
