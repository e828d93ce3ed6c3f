import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyWebhook } from '@ringtail/alerter';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { createKafka, createLogger } from '@ringtail/runtime';
import { loadStackSettings, ServiceProcess, stackUp } from '@ringtail/stack';
import type { Command } from '../command.ts';
import { parseDurationMs } from '../durations.ts';
import { startDemoHostMetrics, type DemoHostMetrics } from './demo-host-metrics.ts';
import { endpointEnv } from './stack.ts';

const ROOT = new URL('../../../..', import.meta.url).pathname;
const RULES_FILE = new URL('../../demo/rules.yaml', import.meta.url).pathname;
const PROGRESS_INTERVAL_MS = 5000;
const BASE_HTTP_PORT = 9400;
// The demo queue fills for half of every minute, so the demo rule fires and resolves.
const BACKLOG_PERIOD_MS = 60_000;
const QUEUE_SIGNAL_INTERVAL_MS = 1000;

/** The signal the demo rule watches: 500 queued items in the first half of each minute, 20 in the second. */
function queueDepth(nowMs: number): RawSample {
  const backlog = nowMs % BACKLOG_PERIOD_MS < BACKLOG_PERIOD_MS / 2;
  return { name: 'ringtail_demo_queue_depth', labels: { queue: 'orders' }, value: backlog ? 500 : 20, timestamp: nowMs };
}

/** A webhook receiver that checks each alert's Standard Webhooks signature and prints it. */
async function startReceiver(secret: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        const { id } = verifyWebhook({ secret, headers: req.headers, body });
        const note = JSON.parse(body.toString('utf8')) as { status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
        for (const a of note.alerts) {
          process.stdout.write(`webhook ${id} (signature ok): ${note.status} ${a.labels.alertname} — ${a.annotations.summary ?? ''}\n`);
        }
        res.writeHead(204).end();
      } catch (err) {
        process.stdout.write(`webhook rejected: ${err instanceof Error ? err.message : String(err)}\n`);
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts` };
}

/**
 * Ringtail's main job on the local stack: stack up, ingest + shard workers
 * (+ the alerter when present) as processes, demo metrics produced into
 * metrics.raw, and a progress line every few seconds. Ctrl-C stops the services.
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
    const durationMs = parseDurationMs(values.duration!, '--duration');

    const { mode, endpoints } = await stackUp(loadStackSettings(process.env));
    process.stdout.write(`stack (${mode}) ready\n${endpointEnv(endpoints)}\n\n`);

    const env: Record<string, string> = {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      REDIS_SENTINELS: endpoints.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      REDIS_SENTINEL_MASTER: endpoints.sentinelMasterName,
    };
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const receiver = await startReceiver(secret);
    const logDir = join(ROOT, '.cache', 'demo-logs');
    const ingest = new ServiceProcess({ name: 'ingest', entry: 'services/ingest/src/main.ts', env, logDir, httpPort: BASE_HTTP_PORT });
    const others: ServiceProcess[] = [
      ...workers.map(
        (w, i) =>
          new ServiceProcess({ name: `shard-${w}`, entry: 'services/shard/src/main.ts', env: { ...env, SHARD_WORKER_ID: w }, logDir, httpPort: BASE_HTTP_PORT + 10 + i }),
      ),
      new ServiceProcess({
        name: 'alerter',
        entry: 'services/alerter/src/main.ts',
        env: { ...env, RULES_FILE, WEBHOOK_URL: receiver.url, WEBHOOK_SECRETS: secret },
        logDir,
        httpPort: BASE_HTTP_PORT + 20,
      }),
    ];
    const services = [ingest, ...others];

    let host: DemoHostMetrics | undefined;
    const stopAll = async () => {
      await host?.stop();
      await Promise.all(services.map((s) => s.stop()));
      receiver.server.close();
    };
    let stopping = false;
    const controller = new AbortController();
    const onSignal = () => {
      if (stopping) process.exit(1);
      stopping = true;
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      // Ingest first: it creates the raw, DLQ and shard topics.
      await ingest.start(120_000);
      await Promise.all(others.map((s) => s.start(120_000)));
      host = await startDemoHostMetrics(env, logDir, BASE_HTTP_PORT + 30);
      for (const s of services) {
        const ring = s.name.startsWith('shard-') ? '  /ring' : '';
        process.stdout.write(`${s.name.padEnd(10)} http://127.0.0.1:${s.port}/metrics  /healthz  /readyz${ring}   log: ${s.logFile}\n`);
      }
      process.stdout.write(`${host.lines.join('\n')}\n`);
      void host.showQuery(endpoints, controller.signal);
      process.stdout.write(`alerter    http://127.0.0.1:${BASE_HTTP_PORT + 20}/api/v1/alerts  /api/v1/rules   rules: ${RULES_FILE}\n`);
      process.stdout.write(`webhooks   ${receiver.url} (signatures checked)\n`);
      process.stdout.write(
        `\nproducing ${values.rate} samples/s over ${values.series} series to metrics.raw; ringtail_demo_queue_depth{queue="orders"} ` +
          'backs up for 30 s of every minute, so OrdersQueueBacklog fires and resolves.\n' +
          'Try: npx ringtail query \'ringtail_demo_queue_depth\' --from now-2m   and   npx ringtail alerts.   Ctrl-C stops.\n\n',
      );

      const log = createLogger('ringtail-demo', 'warn');
      const kafka = createKafka(endpoints.kafkaBrokers, 'ringtail-demo', log);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      let produced = 0;
      const started = Date.now();
      const progress = setInterval(() => {
        process.stdout.write(`[${Math.round((Date.now() - started) / 1000)}s] produced ${produced} samples\n`);
      }, PROGRESS_INTERVAL_MS);
      try {
        const generator = new SampleGenerator({ seriesCount: Number(values.series), labelsPerSeries: 3, metricNames: 5, jitterMs: 2000, seed: Date.now() % 2 ** 31 });
        const signal = setInterval(() => {
          producer.send({ topic: topicNames().raw, acks: -1, messages: [{ value: JSON.stringify(queueDepth(Date.now())) }] }).catch((err: unknown) => {
            process.stdout.write(`queue-depth sample not sent: ${err instanceof Error ? err.message : String(err)}\n`);
          });
        }, QUEUE_SIGNAL_INTERVAL_MS);
        try {
          await produceLoad(
            producer,
            generator,
            {
              topic: topicNames().raw,
              ratePerSec: Number(values.rate),
              durationMs: durationMs === 0 ? undefined : durationMs,
              samplesPerMessage: 50,
              messagesPerSend: 20,
              signal: controller.signal,
            },
            (s) => {
              produced += s.length;
            },
          );
        } finally {
          clearInterval(signal);
        }
      } finally {
        clearInterval(progress);
        await producer.disconnect();
      }
      process.stdout.write(`produced ${produced} samples; stopping services (the stack keeps running: npx ringtail stack down)\n`);
    } finally {
      await stopAll();
    }
    return 0;
  },
};
