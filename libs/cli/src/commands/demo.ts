import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatHostPort } from '@ringtail/runtime';
import { loadStackSettings, ServiceProcess, stackUp, type StackEndpoints } from '@ringtail/stack';
import { WebhookReceiver, type ReceivedWebhook } from '@ringtail/webhooks';
import type { Command } from '../command.ts';
import { durationOption } from '../durations.ts';
import { produceDemoTraffic } from './demo-traffic.ts';
import { startDemoHostMetrics, type DemoHostMetrics } from './demo-host-metrics.ts';
import { endpointEnv } from './stack.ts';

const ROOT = new URL('../../../..', import.meta.url).pathname;
const RULES_FILE = new URL('../../demo/rules.yaml', import.meta.url).pathname;
const BASE_HTTP_PORT = 9400;
const ALERTER_HTTP_PORT = BASE_HTTP_PORT + 20;
const HOST_METRICS_HTTP_PORT = BASE_HTTP_PORT + 30;
/** The query API: deploy/grafana/datasource.yaml points Grafana here. */
const QUERY_HTTP_PORT = BASE_HTTP_PORT + 40;
const SERVICE_START_TIMEOUT_MS = 120_000;

/** Prints each alert of a webhook, or why its signature was refused. */
function printWebhook(w: ReceivedWebhook): void {
  if (w.verified !== true || w.json === null) {
    process.stdout.write(`webhook rejected (${w.status}): signature did not verify\n`);
    return;
  }
  for (const a of w.json.alerts) {
    process.stdout.write(`webhook ${w.id} (signature ok): ${w.json.status} ${a.labels.alertname} — ${a.annotations.summary ?? ''}\n`);
  }
}

const LOG_DIR = join(ROOT, '.cache', 'demo-logs');

/** What every demo process needs to reach the stack. */
function serviceEnv(endpoints: StackEndpoints): Record<string, string> {
  return {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    REDIS_SENTINELS: endpoints.sentinels.map(formatHostPort).join(','),
    REDIS_SENTINEL_MASTER: endpoints.sentinelMasterName,
  };
}

/** Ingest, one shard worker per name, the alerter delivering to `webhookUrl` and the query API, as processes. */
function demoServices(env: Record<string, string>, workers: readonly string[], webhookUrl: string, secret: string): ServiceProcess[] {
  const logDir = LOG_DIR;
  return [
    new ServiceProcess({ name: 'ingest', entry: 'services/ingest/src/main.ts', env, logDir, httpPort: BASE_HTTP_PORT }),
    ...workers.map(
      (w, i) => new ServiceProcess({ name: `shard-${w}`, entry: 'services/shard/src/main.ts', env: { ...env, SHARD_WORKER_ID: w }, logDir, httpPort: BASE_HTTP_PORT + 10 + i }),
    ),
    new ServiceProcess({
      name: 'alerter',
      entry: 'services/alerter/src/main.ts',
      env: { ...env, RULES_FILE, WEBHOOK_URL: webhookUrl, WEBHOOK_SECRETS: secret },
      logDir,
      httpPort: ALERTER_HTTP_PORT,
    }),
    new ServiceProcess({ name: 'query', entry: 'services/query/src/main.ts', env, logDir, httpPort: QUERY_HTTP_PORT }),
  ];
}

function printWhereEverythingListens(services: readonly ServiceProcess[], host: DemoHostMetrics, webhookUrl: string, rate: string, series: string): void {
  for (const s of services) {
    const ring = s.name.startsWith('shard-') ? '  /ring' : '';
    process.stdout.write(`${s.name.padEnd(10)} http://127.0.0.1:${s.port}/metrics  /healthz  /readyz${ring}   log: ${s.logFile}\n`);
  }
  process.stdout.write(`${host.lines.join('\n')}\n`);
  process.stdout.write(`alerter    http://127.0.0.1:${ALERTER_HTTP_PORT}/api/v1/alerts  /api/v1/rules   rules: ${RULES_FILE}\n`);
  process.stdout.write(`webhooks   ${webhookUrl} (signatures checked)\n`);
  process.stdout.write(`promql     http://127.0.0.1:${QUERY_HTTP_PORT}/api/v1/query  (Prometheus API for Grafana and promtool: deploy/grafana/)\n`);
  process.stdout.write(
    `\nproducing ${rate} samples/s over ${series} series to metrics.raw; ringtail_demo_queue_depth{queue="orders"} ` +
      'backs up for 30 s of every minute, so OrdersQueueBacklog fires and resolves.\n' +
      'Try: npx ringtail query \'ringtail_demo_queue_depth\' --from now-2m   and   npx ringtail alerts.   Ctrl-C stops.\n\n',
  );
}

/** An AbortSignal that the first SIGINT/SIGTERM aborts; a second one exits at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(1);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/**
 * Ringtail's main job on the local stack: stack up, ingest + shard workers +
 * the alerter as processes, demo metrics produced into metrics.raw, and a
 * progress line every few seconds. Ctrl-C stops the services.
 */
export const demoCommand: Command = {
  summary: 'Run the whole pipeline on the local stack with demo traffic, printing where every part listens.',
  usage: 'ringtail demo [--workers 2] [--rate 5000] [--series 1000] [--duration 0 (until Ctrl-C)]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        workers: { type: 'string', default: '2' },
        rate: { type: 'string', default: '5000' },
        series: { type: 'string', default: '1000' },
        duration: { type: 'string', default: '0' },
      },
    });
    const workers = Array.from({ length: Math.max(1, Number(values.workers)) }, (_, i) => `w${i}`);
    const durationMs = durationOption(values.duration!, '--duration');

    const { mode, endpoints } = await stackUp(loadStackSettings(process.env));
    process.stdout.write(`stack (${mode}) ready\n${endpointEnv(endpoints)}\n\n`);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const receiver = await WebhookReceiver.start({ secret, path: '/alerts', okStatus: 204, onReceive: printWebhook });
    const env = serviceEnv(endpoints);
    const [ingest, ...others] = demoServices(env, workers, receiver.url, secret);
    const signal = interruptSignal();
    let host: DemoHostMetrics | undefined;
    try {
      // Ingest first: it creates the raw, DLQ and shard topics.
      await ingest!.start(SERVICE_START_TIMEOUT_MS);
      await Promise.all(others.map((s) => s.start(SERVICE_START_TIMEOUT_MS)));
      host = await startDemoHostMetrics(env, LOG_DIR, HOST_METRICS_HTTP_PORT, [ingest!, ...others].map((s) => `127.0.0.1:${s.port}`));
      printWhereEverythingListens([ingest!, ...others], host, receiver.url, values.rate!, values.series!);
      void host.showQuery(endpoints, signal);
      const produced = await produceDemoTraffic(endpoints.kafkaBrokers, { ratePerSec: Number(values.rate), seriesCount: Number(values.series), durationMs, signal });
      process.stdout.write(`produced ${produced} samples; stopping services (the stack keeps running: npx ringtail stack down)\n`);
    } finally {
      await host?.stop();
      await Promise.all([ingest!, ...others].map((s) => s.stop()));
      await receiver.stop();
    }
    return 0;
  },
};
