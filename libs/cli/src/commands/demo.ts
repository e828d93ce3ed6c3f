import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SampleGenerator, produceLoad } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { createKafka, createLogger } from '@ringtail/runtime';
import { loadStackSettings, ServiceProcess, stackUp } from '@ringtail/stack';
import type { Command } from '../main.ts';
import { parseDurationMs } from '../durations.ts';
import { endpointEnv } from './stack.ts';

const ROOT = new URL('../../../..', import.meta.url).pathname;
const PROGRESS_INTERVAL_MS = 5000;
const BASE_HTTP_PORT = 9400;

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
      SHARD_WORKERS: workers.join(','),
    };
    const logDir = join(ROOT, '.cache', 'demo-logs');
    const services: ServiceProcess[] = [
      new ServiceProcess({ name: 'ingest', entry: 'services/ingest/src/main.ts', env, logDir, httpPort: BASE_HTTP_PORT }),
      ...workers.map(
        (w, i) =>
          new ServiceProcess({ name: `shard-${w}`, entry: 'services/shard/src/main.ts', env: { ...env, SHARD_WORKER_ID: w }, logDir, httpPort: BASE_HTTP_PORT + 10 + i }),
      ),
    ];
    if (existsSync(join(ROOT, 'services/alerter/src/main.ts'))) {
      services.push(new ServiceProcess({ name: 'alerter', entry: 'services/alerter/src/main.ts', env, logDir, httpPort: BASE_HTTP_PORT + 20 }));
    }

    const stopAll = async () => {
      await Promise.all(services.map((s) => s.stop()));
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
      // Shards first: ingest creates the topics, shards wait for them.
      await Promise.all(services.map((s) => s.start(120_000)));
      for (const s of services) {
        process.stdout.write(`${s.name.padEnd(10)} http://127.0.0.1:${s.port}/metrics  /healthz  /readyz   log: ${s.logFile}\n`);
      }
      process.stdout.write(`\nproducing ${values.rate} samples/s over ${values.series} series to metrics.raw; Ctrl-C stops\n`);

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
        const chunkMs = 1000;
        while (!controller.signal.aborted && (durationMs === 0 || Date.now() - started < durationMs)) {
          await produceLoad(producer, generator, { topic: topicNames().raw, ratePerSec: Number(values.rate), durationMs: chunkMs, samplesPerMessage: 50, messagesPerSend: 20 }, (s) => {
            produced += s.length;
          });
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
