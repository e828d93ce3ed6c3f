import type { IncomingMessage } from 'node:http';
import { parseApiDurationMs } from '@ringtail/promql';
import { BadParameterError } from './errors.ts';

const MAX_FORM_BYTES = 1024 * 1024;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The request's parameters: the URL's query string and, for a POST with
 * `application/x-www-form-urlencoded`, the body's (as Go's ParseForm merges them).
 */
export async function requestParams(req: IncomingMessage): Promise<URLSearchParams> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const params = new URLSearchParams(url.search);
  if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) throw new BadParameterError('body', `form body over ${MAX_FORM_BYTES} bytes`);
      chunks.push(chunk);
    }
    for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.append(k, v);
  }
  return params;
}

/** A time parameter as Prometheus takes it: float Unix seconds or RFC 3339; `fallbackMs` when absent. */
export function timeParam(params: URLSearchParams, name: string, fallbackMs?: number): number {
  const text = params.get(name);
  if (text === null || text === '') {
    if (fallbackMs !== undefined) return fallbackMs;
    throw new BadParameterError(name, `cannot parse "" to a valid timestamp`);
  }
  if (DECIMAL.test(text)) {
    const ms = Math.round(Number(text) * 1000);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (RFC3339.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BadParameterError(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

/** A duration parameter (`step`, `timeout`): float seconds or a Prometheus duration; undefined when absent. */
export function durationParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null || text === '') return undefined;
  const ms = parseApiDurationMs(text);
  if (ms === null) throw new BadParameterError(name, `cannot parse ${JSON.stringify(text)} to a valid duration`);
  return ms;
}

/** A parameter that must be present. */
export function requiredParam(params: URLSearchParams, name: string): string {
  const text = params.get(name);
  if (text === null) throw new BadParameterError(name, `parameter "${name}" is required`);
  return text;
}
