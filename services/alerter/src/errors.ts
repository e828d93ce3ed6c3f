/**
 * Error catalogue of the alerter. Check errors by class or `code`, never by
 * message text; `retriable` says whether the same operation may be retried.
 */
export { RuleFileError } from './domain/rule-file.ts';

/** Another instance holds the lease (or took it over): this instance must not write alert state or send. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError' as const;
  readonly code = 'ALERTER_LEASE_LOST' as const;
  // Retrying with the same fencing token fails again; the instance re-acquires the lease instead.
  readonly retriable = false as const;
  constructor(readonly operation: string) {
    super(`lease lost during ${operation}: another alerter instance is the leader`);
  }
}

/** Redis did not answer (connection lost, failover, timeout). Nothing was resolved; the tick is retried. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError' as const;
  readonly code = 'ALERTER_REDIS_UNAVAILABLE' as const;
  readonly retriable = true as const;
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`redis ${operation} failed`, options);
  }
}

/** A Lua script answered with a code it does not document: a bug, not a transient fault. */
export class ScriptReplyError extends Error {
  override readonly name = 'ScriptReplyError' as const;
  readonly code = 'ALERTER_SCRIPT_REPLY' as const;
  readonly retriable = false as const;
  constructor(
    readonly script: string,
    readonly reply: unknown,
  ) {
    super(`${script} answered ${JSON.stringify(reply)}`);
  }
}

export { WebhookVerificationError } from '@ringtail/webhooks';

/** An API request names something that does not exist (e.g. an unknown dead letter). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError' as const;
  readonly code = 'ALERTER_NOT_FOUND' as const;
  readonly retriable = false as const;
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`${what} ${id} not found`);
  }
}

/** An API request is malformed (wrong method, missing parameter). */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError' as const;
  readonly code = 'ALERTER_BAD_REQUEST' as const;
  readonly retriable = false as const;
  constructor(readonly detail: string) {
    super(detail);
  }
}
