/**
 * Gateway benchmark (not a test): remote-write requests of 500–2,000 samples
 * over 10,000 series, sent by `--senders` concurrent senders (each owning its
 * share of the series, as Prometheus' remote-write shards do, so every series'
 * samples arrive in order), through the gateway until Kafka acknowledged them
 * (acks=-1); then the very same requests to Prometheus' own remote-write
 * receiver (`prometheus --web.enable-remote-write-receiver`), the peer.
 * Bodies are encoded before the clock starts, so only receiving is measured.
 *
 * Prints one JSON object: gatewaySamplesPerSec, prometheusReceiverSamplesPerSec,
 * ratio (gateway / Prometheus; target ≥ 1), p50/p99 request latency of each,
 * gatewayRssMb (peak, sampled), and the failed requests of each (non-2xx or a broken
 * connection, sent again; 0 expected).
 *
 *   npm run bench:gateway -- --json [--requests 400] [--senders 4] [--series 10000]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { compress } from 'snappyjs';
import { SampleGenerator, percentile, prng } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { ensureTopics } from '@ringtail/runtime';
import { HostMetricsAgents, ServiceProcess, loadStackSettings, stackUp } from '@ringtail/stack';
import { loadProtocolSchemas } from '../src/index.ts';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    requests: { type: 'string', default: '400' },
    senders: { type: 'string', default: '4' },
    series: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '12' },
  },
});
const REQUESTS = Number(args.requests);
const SENDERS = Number(args.senders);
const SERIES = Number(args.series);
const MIN_SAMPLES = 500;
const MAX_SAMPLES = 2000;
const RAW_PARTITIONS = 8;
const HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };

interface Body {
  readonly bytes: Buffer;
  readonly samples: number;
}

/** Each sender's requests, in order: its own series, timestamps rising by 1 ms per request. */
function encodeRequests(): Body[][] {
  const schemas = loadProtocolSchemas();
  const random = prng(Number(args.seed));
  const perSender = Math.floor(SERIES / SENDERS);
  const base = Date.now();
  return Array.from({ length: SENDERS }, (_, sender) => {
    const generator = new SampleGenerator({ seriesCount: perSender, labelsPerSeries: 4, metricNames: 20, jitterMs: 0, seed: Number(args.seed) + sender });
    return Array.from({ length: Math.ceil(REQUESTS / SENDERS) }, (_, i) => {
      const size = Math.min(perSender, MIN_SAMPLES + Math.floor(random() * (MAX_SAMPLES - MIN_SAMPLES + 1)));
      const samples = generator.next(size, base + i);
      const timeseries = samples.map((s) => ({
        labels: [{ name: '__name__', value: s.name }, { name: 'sender', value: String(sender) }, ...Object.entries(s.labels).map(([name, value]) => ({ name, value }))],
        samples: [{ value: s.value, timestamp: s.timestamp }],
      }));
      const bytes = Buffer.from(compress(Buffer.from(schemas.writeRequest.encode(schemas.writeRequest.fromObject({ timeseries })).finish())));
      return { bytes, samples: size };
    });
  });
}

interface RunResult {
  readonly samplesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly firstError?: string;
}

async function run(url: string, requests: Body[][], headers: Record<string, string>): Promise<RunResult> {
  const latencies: number[] = [];
  let samples = 0;
  let non2xx = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    requests.map(async (list) => {
      for (const body of list) {
        for (let attempt = 1; ; attempt++) {
          const t = performance.now();
          try {
            const res = await fetch(url, { method: 'POST', body: body.bytes, headers });
            const text = await res.text();
            latencies.push(performance.now() - t);
            if (res.ok) samples += body.samples;
            else {
              non2xx += 1;
              firstError ??= `${res.status} ${text.slice(0, 200)}`;
            }
            break;
          } catch (err) {
            // A connection closed under the request (keep-alive race): counted, and sent again.
            non2xx += 1;
            firstError ??= `request failed: ${err instanceof Error ? err.message : String(err)}`;
            if (attempt >= 3) throw err;
          }
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { samplesPerSec: Math.round(samples / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), non2xx, ...(firstError ? { firstError } : {}) };
}

const round = (x: number) => Math.round(x * 10) / 10;

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const settings = loadStackSettings(process.env);
  const { endpoints } = await stackUp(settings);
  const namespace = `bench-gw-${randomBytes(4).toString('hex')}.`;
  const topics = topicNames(namespace);
  const kafka = new Kafka({ clientId: 'gateway-bench', brokers: [...endpoints.kafkaBrokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: topics.raw, numPartitions: RAW_PARTITIONS }, { topic: topics.dlq, numPartitions: 1 }]);
  const gateway = new ServiceProcess({
    name: `${namespace}gateway`,
    entry: 'services/gateway/src/main.ts',
    env: { KAFKA_BROKERS: endpoints.kafkaBrokers.join(','), RINGTAIL_NAMESPACE: namespace, LOG_LEVEL: 'warn' },
    logDir: join(settings.topology.cacheDir, 'bench-logs'),
  });
  const promDir = join(settings.topology.cacheDir, 'bench-prometheus', namespace);
  const prometheus = new HostMetricsAgents({ dir: promDir, scrapeNodeExporter: false, enableRemoteWriteReceiver: true });
  try {
    await gateway.start(60_000);
    await prometheus.start();
    const requests = encodeRequests();
    const warmup = (list: Body[][]) => list.map((l) => l.slice(0, 5));
    const measured = (list: Body[][]) => list.map((l) => l.slice(5));

    let peakRss = rssMb(gateway.pid);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(gateway.pid))), 200);
    const gatewayUrl = `http://127.0.0.1:${gateway.port}/api/v1/write`;
    await run(gatewayUrl, warmup(requests), HEADERS);
    const viaGateway = await run(gatewayUrl, measured(requests), HEADERS);
    clearInterval(sampler);

    const promUrl = `${prometheus.prometheusUrl}/api/v1/write`;
    await run(promUrl, warmup(requests), HEADERS);
    const viaPrometheus = await run(promUrl, measured(requests), HEADERS);

    const totalSamples = measured(requests).flat().reduce((n, b) => n + b.samples, 0);
    const result = {
      gatewaySamplesPerSec: viaGateway.samplesPerSec,
      prometheusReceiverSamplesPerSec: viaPrometheus.samplesPerSec,
      ratio: Math.round((viaGateway.samplesPerSec / viaPrometheus.samplesPerSec) * 100) / 100,
      gatewayP50Ms: viaGateway.p50Ms,
      gatewayP99Ms: viaGateway.p99Ms,
      prometheusP50Ms: viaPrometheus.p50Ms,
      prometheusP99Ms: viaPrometheus.p99Ms,
      gatewayRssMb: peakRss,
      gatewayFailed: viaGateway.non2xx,
      prometheusFailed: viaPrometheus.non2xx,
      ...(viaGateway.firstError ? { gatewayFirstError: viaGateway.firstError } : {}),
      ...(viaPrometheus.firstError ? { prometheusFirstError: viaPrometheus.firstError } : {}),
      requests: measured(requests).flat().length,
      samples: totalSamples,
      series: SERIES,
      senders: SENDERS,
      samplesPerRequest: `${MIN_SAMPLES}-${MAX_SAMPLES}`,
    };
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await prometheus.stop();
    rmSync(promDir, { recursive: true, force: true });
    await gateway.stop();
    await admin.deleteTopics({ topics: [topics.raw, topics.dlq] }).catch(() => undefined);
    await admin.disconnect();
  }
}

await main();
