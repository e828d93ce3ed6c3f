/** Error catalogue of `@ringtail/query`. Check by class or `code`; none is retriable (same input, same answer). */

/** The selector text does not parse; `position` is the 0-based character index of the problem. */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError' as const;
  readonly code = 'QUERY_SELECTOR_SYNTAX' as const;
  readonly retriable = false as const;
  constructor(
    readonly selector: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid selector at ${position}: ${reason}: ${selector}`);
  }
}

/** The query options cannot be served: bad range, a step no resolution divides, or too many windows. */
export class QueryRangeError extends Error {
  override readonly name = 'QueryRangeError' as const;
  readonly code = 'QUERY_RANGE_INVALID' as const;
  readonly retriable = false as const;
  constructor(
    /** The option to change: `from`, `to`, `step`. */
    readonly option: string,
    reason: string,
  ) {
    super(`--${option}: ${reason}`);
  }
}

/** A stored window block does not decode: the query cannot answer for its windows. Not retriable (the bytes stay the same). */
export class CorruptBlockError extends Error {
  override readonly name = 'CorruptBlockError' as const;
  readonly code = 'QUERY_BLOCK_CORRUPT' as const;
  readonly retriable = false as const;
  constructor(
    /** The Redis key of the block. */
    readonly key: string,
    options: { cause: unknown },
  ) {
    super(`block ${key}: ${(options.cause as Error).message}`, options);
  }
}
