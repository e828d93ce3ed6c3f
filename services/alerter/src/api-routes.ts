import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Route } from '@ringtail/runtime';
import type { AlertEvaluator } from './alert-evaluator.ts';
import { alertRow, listAlerts } from '@ringtail/query';
import { formatDuration, formatValue } from '@ringtail/model';
import type { RuleSet } from './domain/rule.ts';
import { formatSelector } from './domain/selector.ts';
import { BadRequestError } from './errors.ts';
import { httpStatusOf } from './http-status.ts';
import type { Outbox } from './outbox.ts';

export interface ApiDeps {
  readonly redis: Redis;
  readonly namespace: string;
  readonly rules: () => RuleSet;
  readonly evaluator: AlertEvaluator;
  readonly outbox: Outbox;
  readonly evalIntervalMs: number;
  readonly clock: () => number;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Wraps a handler: Prometheus-style `{status, data}` on success, `{status: 'error', errorType, error}` with the mapped HTTP status on failure. */
function route(handler: (req: IncomingMessage, url: URL) => Promise<unknown>): Route {
  return async (req, res) => {
    try {
      json(res, 200, { status: 'success', data: await handler(req, new URL(req.url ?? '/', 'http://localhost')) });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      json(res, httpStatusOf(err), { status: 'error', errorType: e.code ?? 'internal', error: e.message ?? String(err) });
    }
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const promValue = (v: number | null) => (v === null ? 'NaN' : formatValue(v));

/** `/api/v1/alerts`, `/api/v1/rules` (Prometheus-like JSON), dead letters and their replay. */
export function apiRoutes(d: ApiDeps): Record<string, Route> {
  const alertJson = (r: ReturnType<typeof alertRow>) => ({
    labels: r.labels,
    annotations: r.annotations,
    state: r.state,
    activeAt: iso(r.activeAtMs),
    firedAt: iso(r.firedAtMs),
    value: promValue(r.value),
    fingerprint: r.fingerprint,
  });
  return {
    '/api/v1/alerts': route(async () => ({
      alerts: (await listAlerts(d.redis, d.namespace)).filter((r) => r.state !== 'resolved').map(alertJson),
    })),
    '/api/v1/rules': route(async () => {
      const rows = await listAlerts(d.redis, d.namespace);
      const set = d.rules();
      return {
        groups: [
          {
            name: 'ringtail',
            file: set.file,
            interval: d.evalIntervalMs / 1000,
            rules: set.rules.map((r) => {
              const alerts = rows.filter((a) => a.alertname === r.name && a.state !== 'resolved');
              const h = d.evaluator.health.get(r.name);
              return {
                type: 'alerting',
                name: r.name,
                query: `${r.aggregation}_over_time(${formatSelector(r.selector)}[${formatDuration(r.windowMs)}])${r.by ? ` by (${r.by.join(', ')})` : ''} ${r.op} ${r.threshold}`,
                resolveThreshold: r.resolveThreshold,
                duration: r.forMs / 1000,
                keepFiringFor: r.keepFiringForMs / 1000,
                noData: r.noData,
                receiver: r.receiver,
                labels: r.source.labels,
                annotations: r.source.annotations,
                state: alerts.some((a) => a.state === 'firing') ? 'firing' : alerts.length > 0 ? 'pending' : 'inactive',
                alerts: alerts.map(alertJson),
                health: h?.health ?? 'unknown',
                lastError: h?.lastError ?? '',
                lastEvaluation: iso(h?.lastEvaluationMs ?? null),
                evaluationTime: (h?.evaluationMs ?? 0) / 1000,
              };
            }),
          },
        ],
      };
    }),
    '/api/v1/deadletters': route(async () => ({
      deadLetters: (await d.outbox.deadLetters()).map(({ body, ...rest }) => ({ ...rest, at: iso(rest.atMs), body: JSON.parse(body) as unknown })),
      disabledReceivers: Object.fromEntries(await d.outbox.disabledReceivers()),
    })),
    '/api/v1/deadletters/replay': route(async (req, url) => {
      if (req.method !== 'POST') throw new BadRequestError('use POST /api/v1/deadletters/replay?id=<dead letter id>');
      const id = url.searchParams.get('id');
      if (!id) throw new BadRequestError('missing query parameter id');
      return { entryId: await d.outbox.replay(id, d.clock()) };
    }),
  };
}
