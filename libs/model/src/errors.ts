/**
 * Error catalogue of `@ringtail/model`. Check errors by class or `code`, never
 * by message text. None is retriable: the same bytes or windows give the same answer.
 */

/** A window block's bytes do not decode: truncated, altered, or not a block of a known version. */
export class BlockCorruptError extends Error {
  override readonly name = 'BlockCorruptError' as const;
  readonly code = 'MODEL_BLOCK_CORRUPT' as const;
  readonly retriable = false as const;
  constructor(
    /** What is wrong, and where (byte offset when known). */
    readonly reason: string,
    options?: { cause: unknown },
  ) {
    super(`window block is corrupt: ${reason}`, options);
  }
}

/** Windows that a block cannot hold: a NaN, a timestamp outside its window, windows out of order or outside the block. */
export class BlockEncodeError extends Error {
  override readonly name = 'BlockEncodeError' as const;
  readonly code = 'MODEL_BLOCK_UNENCODABLE' as const;
  readonly retriable = false as const;
  constructor(
    readonly reason: string,
    /** Start of the offending window (ms), when one is to blame. */
    readonly windowStartMs?: number,
  ) {
    super(`cannot encode window block: ${reason}`);
  }
}

/** A shard-topic record's bytes do not decode: truncated, altered, or not a shard record of a known form. */
export class ShardRecordCorruptError extends Error {
  override readonly name = 'ShardRecordCorruptError' as const;
  readonly code = 'MODEL_SHARD_RECORD_CORRUPT' as const;
  readonly retriable = false as const;
  constructor(
    /** What is wrong. */
    readonly reason: string,
    /** Byte offset where it was found, when known. */
    readonly byteOffset?: number,
  ) {
    super(`shard record is corrupt: ${reason}${byteOffset === undefined ? '' : ` (at byte ${byteOffset})`}`);
  }
}
