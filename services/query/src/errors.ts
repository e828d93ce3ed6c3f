import { isPromqlError } from '@ringtail/promql';

/**
 * Error catalogue of the query API (beside @ringtail/promql's, whose errors
 * carry their own Prometheus errorType). `apiErrorOf` maps any error onto
 * Prometheus' error type and HTTP status: the one place that does.
 */

/** A request parameter that is missing or does not parse (400 bad_data); `parameter` names it. */
export class BadParameterError extends Error {
  override readonly name = 'BadParameterError' as const;
  readonly code = 'QUERY_BAD_PARAMETER' as const;
  readonly retriable = false as const;
  constructor(
    readonly parameter: string,
    reason: string,
    options?: { cause: unknown },
  ) {
    super(`invalid parameter "${parameter}": ${reason}`, options);
  }
}

/** No such API path (404 not_found). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError' as const;
  readonly code = 'QUERY_NOT_FOUND' as const;
  readonly retriable = false as const;
}

export type ApiErrorType = 'bad_data' | 'execution' | 'timeout' | 'unavailable' | 'not_found' | 'internal';

const STATUS: Readonly<Record<ApiErrorType, number>> = { bad_data: 400, execution: 422, timeout: 503, unavailable: 503, not_found: 404, internal: 500 };

/** Prometheus' errorType, HTTP status and message for `err`. */
export function apiErrorOf(err: unknown): { readonly errorType: ApiErrorType; readonly status: number; readonly message: string } {
  let errorType: ApiErrorType = 'internal';
  if (isPromqlError(err)) errorType = err.errorType;
  else if (err instanceof BadParameterError) errorType = 'bad_data';
  else if (err instanceof NotFoundError) errorType = 'not_found';
  const message = errorType === 'internal' ? 'internal error' : (err as Error).message;
  return { errorType, status: STATUS[errorType], message };
}
