import type { ServerResponse } from 'node:http';
import { httpStatusOf, MethodNotAllowedError, retryAfterOf, RequestTooLargeError } from './errors.ts';

/** How a route writes one kind of error body (plain text for remote write, Status for OTLP). */
export type ErrorBody = (status: number, message: string) => { readonly type: string; readonly body: string | Uint8Array };

export const plainErrorBody: ErrorBody = (_status, message) => ({ type: 'text/plain; charset=utf-8', body: `${message}\n` });

/** Answers `err` with its status from the catalogue, `Retry-After` when retriable; returns the status. */
export function answerError(res: ServerResponse, err: unknown, protocol: 'remote-write' | 'otlp', body: ErrorBody): number {
  const status = httpStatusOf(err, protocol);
  const message = status === 500 ? 'internal error' : err instanceof Error ? err.message : String(err);
  const headers: Record<string, string> = {};
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  // The rest of an oversized body is never read: close rather than drain it.
  if (err instanceof RequestTooLargeError) headers.connection = 'close';
  if (err instanceof MethodNotAllowedError) headers.allow = 'POST';
  const { type, body: payload } = body(status, message);
  res.writeHead(status, { ...headers, 'content-type': type });
  res.end(payload);
  return status;
}
