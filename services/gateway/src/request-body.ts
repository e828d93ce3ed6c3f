import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MethodNotAllowedError, RequestTooLargeError, ShuttingDownError, UnauthorizedError } from './errors.ts';

/**
 * Reads the body as sent, refusing it once it passes `maxBytes` (a declared
 * Content-Length over the limit is refused before reading).
 * @throws RequestTooLargeError
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const setting = `GATEWAY_MAX_BODY_BYTES=${maxBytes}`;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new RequestTooLargeError(`body is ${declared} bytes`, setting);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new RequestTooLargeError(`body is more than ${maxBytes} bytes`, setting);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Checks `Authorization: Bearer <token>` against `tokens` (constant time per
 * token); every request passes when `tokens` is empty.
 * @throws UnauthorizedError
 */
export function checkBearer(req: IncomingMessage, tokens: readonly Buffer[]): void {
  if (tokens.length === 0) return;
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('missing bearer token: send Authorization: Bearer <token> (GATEWAY_BEARER_TOKENS is set)');
  const given = Buffer.from(m[1]!);
  if (!tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) throw new UnauthorizedError('unknown bearer token');
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * What every write endpoint refuses before reading the body: another method
 * than POST, any request once shutdown began, a missing or unknown token.
 * @throws MethodNotAllowedError, ShuttingDownError, UnauthorizedError
 */
export function admitWrite(req: IncomingMessage, deps: { readonly isStopping: () => boolean; readonly bearerTokens: readonly Buffer[] }): void {
  if (req.method !== 'POST') throw new MethodNotAllowedError(`use POST, not ${req.method ?? '?'}`);
  if (deps.isStopping()) throw new ShuttingDownError('the gateway is shutting down');
  checkBearer(req, deps.bearerTokens);
}
