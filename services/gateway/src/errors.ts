/**
 * Error catalogue of `@ringtail/gateway`: what ends a request before its
 * samples were judged one by one. Check by class or `code`; `httpStatusOf`
 * maps each to its status. Rejected samples are not errors: they are data,
 * answered in the response and written to the DLQ.
 */

abstract class GatewayError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
}

/** Content type, encoding or protocol version the endpoint does not speak (415). */
export class UnsupportedMediaTypeError extends GatewayError {
  override readonly name = 'UnsupportedMediaTypeError' as const;
  readonly code = 'GATEWAY_UNSUPPORTED_MEDIA_TYPE' as const;
  readonly retriable = false as const;
}

/** A body that cannot be decoded: corrupt snappy, truncated protobuf, malformed JSON (400). */
export class MalformedBodyError extends GatewayError {
  override readonly name = 'MalformedBodyError' as const;
  readonly code = 'GATEWAY_MALFORMED_BODY' as const;
  readonly retriable = false as const;
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
  }
}

/** Over a size or count limit; `setting` is the `ENV_KEY=value` that raises it (413). */
export class RequestTooLargeError extends GatewayError {
  override readonly name = 'RequestTooLargeError' as const;
  readonly code = 'GATEWAY_REQUEST_TOO_LARGE' as const;
  readonly retriable = false as const;
  constructor(
    what: string,
    readonly setting: string,
  ) {
    super(`${what}, over ${setting}`);
  }
}

/** Write endpoints take POST only (405). */
export class MethodNotAllowedError extends GatewayError {
  override readonly name = 'MethodNotAllowedError' as const;
  readonly code = 'GATEWAY_METHOD_NOT_ALLOWED' as const;
  readonly retriable = false as const;
}

/** Bearer token missing or unknown while GATEWAY_BEARER_TOKENS is set (401). */
export class UnauthorizedError extends GatewayError {
  override readonly name = 'UnauthorizedError' as const;
  readonly code = 'GATEWAY_UNAUTHORIZED' as const;
  readonly retriable = false as const;
}

/** More samples in flight than GATEWAY_MAX_PENDING_SAMPLES (429 for OTLP, 503 for remote write): the sender should back off and retry. */
export class OverloadedError extends GatewayError {
  override readonly name = 'OverloadedError' as const;
  readonly code = 'GATEWAY_OVERLOADED' as const;
  readonly retriable = true as const;
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** Kafka did not acknowledge the request's samples (503): nothing of it may be counted as taken. */
export class KafkaUnavailableError extends GatewayError {
  override readonly name = 'KafkaUnavailableError' as const;
  readonly code = 'GATEWAY_KAFKA_UNAVAILABLE' as const;
  readonly retriable = true as const;
  constructor(
    message: string,
    readonly retryAfterS: number,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** The gateway is shutting down and takes no new requests (503). */
export class ShuttingDownError extends GatewayError {
  override readonly name = 'ShuttingDownError' as const;
  readonly code = 'GATEWAY_SHUTTING_DOWN' as const;
  readonly retriable = true as const;
  readonly retryAfterS = 1;
}

/**
 * The HTTP status of an error: the one place that maps the catalogue onto HTTP.
 * Overload is 429 for OTLP but 503 for remote write: Prometheus 2.x drops a
 * batch answered 429 unless `retry_on_http_429` is set, and retries every 5xx.
 */
export function httpStatusOf(err: unknown, protocol: 'remote-write' | 'otlp'): number {
  if (err instanceof MalformedBodyError) return 400;
  if (err instanceof UnauthorizedError) return 401;
  if (err instanceof MethodNotAllowedError) return 405;
  if (err instanceof RequestTooLargeError) return 413;
  if (err instanceof UnsupportedMediaTypeError) return 415;
  if (err instanceof OverloadedError) return protocol === 'otlp' ? 429 : 503;
  if (err instanceof KafkaUnavailableError || err instanceof ShuttingDownError) return 503;
  return 500;
}

/** Seconds for `Retry-After`, for the retriable errors; undefined otherwise. */
export function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof OverloadedError || err instanceof KafkaUnavailableError || err instanceof ShuttingDownError) return err.retryAfterS;
  return undefined;
}
