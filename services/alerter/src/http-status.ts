import { BadRequestError, LeaseLostError, NotFoundError, RedisUnavailableError, RuleFileError, WebhookVerificationError } from './errors.ts';

/** The HTTP status of an error: the one place that maps the catalogue onto HTTP. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof BadRequestError || err instanceof RuleFileError) return 400;
  if (err instanceof WebhookVerificationError) return 401;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof LeaseLostError) return 409;
  if (err instanceof RedisUnavailableError) return 503;
  return 500;
}
