/**
 * Error catalogue of `@ringtail/promql`. Check by class or `code`. Each error
 * carries the Prometheus API `errorType` it is answered with (`bad_data` 400,
 * `execution` 422, `timeout` 503); the HTTP service maps that to a status.
 */

export type PrometheusErrorType = 'bad_data' | 'execution' | 'timeout' | 'unavailable';

abstract class PromqlError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
  }
  abstract readonly code: string;
  abstract readonly retriable: boolean;
  abstract readonly errorType: PrometheusErrorType;
}

/** The query text does not parse; `position` is the 0-based character index of the problem. */
export class PromqlSyntaxError extends PromqlError {
  override readonly name = 'PromqlSyntaxError' as const;
  readonly code = 'PROMQL_SYNTAX' as const;
  readonly retriable = false as const;
  readonly errorType = 'bad_data' as const;
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(`parse error at char ${position + 1}: ${reason}`);
  }
}

/** Valid PromQL that Ringtail does not evaluate; `construct` names it (`irate`, `@ modifier`, `subquery`...). */
export class UnsupportedPromqlError extends PromqlError {
  override readonly name = 'UnsupportedPromqlError' as const;
  readonly code = 'PROMQL_UNSUPPORTED' as const;
  readonly retriable = false as const;
  readonly errorType = 'bad_data' as const;
  constructor(readonly construct: string) {
    super(`unsupported by Ringtail: ${construct} (see services/query/README.md for the supported PromQL)`);
  }
}

/** A query the evaluator refuses before reading, or stops: over `setting` (the variable that raises the limit). */
export class QueryLimitError extends PromqlError {
  override readonly name = 'QueryLimitError' as const;
  readonly code = 'PROMQL_LIMIT' as const;
  readonly retriable = false as const;
  constructor(
    message: string,
    /** The environment variable that changes the limit, e.g. `QUERY_MAX_SERIES`. */
    readonly setting: string,
    readonly errorType: 'bad_data' | 'execution' = 'execution',
  ) {
    super(`${message} (limit set by ${setting})`);
  }
}

/** The evaluation found data it cannot combine (duplicate label sets, many-to-many matching): Prometheus' execution errors. */
export class EvaluationError extends PromqlError {
  override readonly name = 'EvaluationError' as const;
  readonly code = 'PROMQL_EVALUATION' as const;
  readonly retriable = false as const;
  readonly errorType = 'execution' as const;
}

/** The query ran past its deadline (QUERY_TIMEOUT_MS or the request's `timeout`). */
export class QueryTimeoutError extends PromqlError {
  override readonly name = 'QueryTimeoutError' as const;
  readonly code = 'PROMQL_TIMEOUT' as const;
  readonly retriable = true as const;
  readonly errorType = 'timeout' as const;
  constructor(readonly timeoutMs: number, readonly setting: string) {
    super(`query timed out in expression evaluation after ${timeoutMs} ms (limit set by ${setting} or the request's timeout parameter)`);
  }
}

/** The window store could not be read (Prometheus' `unavailable`, 503): retry later; nothing was answered from partial data. */
export class StorageUnavailableError extends PromqlError {
  override readonly name = 'StorageUnavailableError' as const;
  readonly code = 'PROMQL_STORAGE_UNAVAILABLE' as const;
  readonly retriable = true as const;
  readonly errorType = 'unavailable' as const;
  constructor(options: { cause: unknown }) {
    super(`storage unavailable: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
  }
}

/** True for every error of this catalogue. */
export function isPromqlError(err: unknown): err is PromqlError {
  return err instanceof PromqlError;
}
