import { setTimeout as sleep } from 'node:timers/promises';
import { SampleValidator, topicNames } from '@ringtail/model';
import { MetricsRegistry, checkKafkaAccess, createKafka, kafkaRefusal, startOpsServer, type Logger, type Route } from '@ringtail/runtime';
import type { GatewayConfig } from './config.ts';
import { registerGatewayMetrics } from './gateway-metrics.ts';
import { otlpRoute } from './otlp-route.ts';
import { loadProtocolSchemas } from './protocol-schemas.ts';
import { RawWriterPool } from './raw-writer-pool.ts';
import { remoteWriteRoute, type WriteRouteDeps } from './remote-write-route.ts';

/** Paths of the write endpoints. */
export const REMOTE_WRITE_PATH = '/api/v1/write';
export const OTLP_METRICS_PATH = '/v1/metrics';

const TOPIC_POLL_MS = 1000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface GatewayService {
  readonly port: number;
  readonly metrics: MetricsRegistry;
  isReady(): boolean;
  /** Stops taking requests (503), waits for those in flight, disconnects. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the gateway: waits until the raw topic exists (ingest creates it),
 * connects the producer, then serves the write endpoints beside /metrics,
 * /healthz and /readyz on one port.
 */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<GatewayService> {
  const topics = topicNames(config.namespace);
  const registry = new MetricsRegistry();
  const metrics = registerGatewayMetrics(registry);
  // Each attempt waits at most PRODUCE_TIMEOUT_MS and kafkajs tries three times, so a
  // request is answered (503 at worst) well within a sender's own timeout.
  await checkKafkaAccess(config.kafkaBrokers, config.kafkaSecurity);
  const kafka = createKafka(config.kafkaBrokers, config.kafkaClientId, log, {
    security: config.kafkaSecurity,
    requestTimeout: config.produceTimeoutMs,
    connectionTimeout: 1000,
    retry: { initialRetryTime: 100, retries: 2, maxRetryTime: 1000 },
  });
  const rawPartitions = await waitForTopic(kafka, topics.raw, log);
  const now = () => performance.now();
  const writer = new RawWriterPool(
    kafka,
    topics,
    {
      rawPartitions,
      producers: config.producers,
      dlqPartitions: config.dlqPartitions,
      maxBatchBytes: config.produceMaxBatchBytes,
      maxPendingSamples: config.maxPendingSamples,
      timeoutMs: config.produceTimeoutMs,
      retryAfterS: config.retryAfterS,
      now,
    },
    log.child({ component: 'raw-writer' }),
  );
  await writer.connect();

  let stopping = false;
  let inFlight = 0;
  const deps: WriteRouteDeps = {
    intake: { validator: new SampleValidator(config.limits), limits: config.limits, maxSamplesPerRequest: config.maxSamplesPerRequest, writer, metrics, now },
    schemas: loadProtocolSchemas(),
    bearerTokens: config.bearerTokens.map((t) => Buffer.from(t.reveal())),
    maxBodyBytes: config.maxBodyBytes,
    maxDecompressedBytes: config.maxDecompressedBytes,
    isStopping: () => stopping,
    log,
  };
  const answered = (protocol: string) => (status: number) => {
    metrics.requests.inc({ protocol, status: String(status) });
    metrics.pendingSamples.set(writer.pending);
  };
  // Requests in flight are counted so stop() can wait for them to be answered.
  const tracked = (route: Route): Route => async (req, res) => {
    inFlight += 1;
    try {
      await route(req, res);
    } finally {
      inFlight -= 1;
    }
  };
  const remoteWrite = tracked(remoteWriteRoute(deps, answered('remote-write')));
  const otlp = tracked(otlpRoute(deps, answered('otlp')));

  const isReady = () => !stopping && writer.available;
  const ops = await startOpsServer({
    port: config.httpPort,
    host: config.httpHost,
    metrics: registry,
    isReady,
    routes: { [REMOTE_WRITE_PATH]: remoteWrite, [OTLP_METRICS_PATH]: otlp },
    // Senders post every few seconds (Prometheus: up to batch_send_deadline, 5 s); Node's 5 s
    // default would close their connections between posts and race their next request.
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  });
  log.info({ host: config.httpHost, port: ops.port, raw: topics.raw, rawPartitions, auth: config.bearerTokens.length > 0 }, 'gateway started');

  let stopped: Promise<void> | undefined;
  return {
    port: ops.port,
    metrics: registry,
    isReady,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        while (inFlight > 0) await sleep(20);
        await ops.close();
        await writer.disconnect();
        log.info('gateway stopped');
      })();
      return stopped;
    },
  };
}

/** Partitions of `topic`, polling until it exists. */
async function waitForTopic(kafka: ReturnType<typeof createKafka>, topic: string, log: Logger): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = topics[0]?.partitions.length ?? 0;
        if (partitions > 0) return partitions;
      } catch (err) {
        // Refused credentials or TLS stay refused: stop and say which setting, rather than poll forever.
        const refusal = kafkaRefusal(err);
        if (refusal) throw refusal;
        if (attempt % 10 === 0) log.info({ err, topic }, 'waiting for the raw topic (ingest creates it)');
      }
      await sleep(TOPIC_POLL_MS);
    }
  } finally {
    await admin.disconnect();
  }
}
