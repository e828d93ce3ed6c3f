import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { HttpAuth } from './security-env.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface OpsServerOptions {
  readonly port: number;
  readonly host?: string;
  /** Served at /metrics. */
  readonly metrics: Registry;
  /** Ready means: connected and consuming. Liveness only means the event loop answers. */
  readonly isReady: () => boolean;
  /** Why the service is not ready, for the /readyz body (e.g. `raw consumer restarting (attempt 2) after: …`). */
  readonly notReadyReason?: () => string;
  /** Extra routes by exact path (e.g. `/api/v1/alerts`). */
  readonly routes?: Readonly<Record<string, Route>>;
  /** Answers every other path (e.g. `/api/v1/label/<name>/values`); default 404. */
  readonly fallback?: Route;
  /** How long an idle keep-alive connection stays open; Node's default is 5 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Bearer tokens for the extra routes (and, if so set, the ops endpoints); none means open. */
  readonly auth?: HttpAuth;
}

const OPS_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves /metrics, /healthz, /readyz and any extra routes; resolves once listening. */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (opts.auth && !admits(req, opts.auth, OPS_PATHS.has(path))) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
      res.end('unauthorized: send Authorization: Bearer <token> (HTTP_BEARER_TOKENS is set)\n');
      return;
    }
    if (path === '/metrics') {
      opts.metrics.metrics().then(
        (text) => send(200, text, opts.metrics.contentType),
        (err: unknown) => send(500, `metrics unavailable: ${String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') return opts.isReady() ? send(200, 'ready\n') : send(503, `not ready${opts.notReadyReason ? `: ${opts.notReadyReason()}` : ''}\n`);
    const route = opts.routes?.[path] ?? opts.fallback;
    if (route) {
      Promise.resolve(route(req, res)).catch((err: unknown) => {
        if (!res.headersSent) send(500, JSON.stringify({ status: 'error', error: String(err) }), 'application/json');
      });
      return;
    }
    send(404, 'not found\n');
  });
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether `req` may reach a route: open routes always; others with one of the tokens (constant time per token). */
export function admits(req: IncomingMessage, auth: HttpAuth, opsPath: boolean): boolean {
  if (auth.tokens.length === 0 || (opsPath && !auth.opsEndpoints)) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  return auth.tokens.some((t) => {
    const want = Buffer.from(t.reveal());
    return want.length === given.length && timingSafeEqual(want, given);
  });
}
