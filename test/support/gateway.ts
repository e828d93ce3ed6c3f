import { compress } from 'snappyjs';
import type { Kafka } from 'kafkajs';
import { loadProtocolSchemas } from '@ringtail/gateway';
import { ServiceProcess } from '@ringtail/stack';
import { eventually, randomNamespace, stackEndpoints } from './fixtures.ts';
import { PipelineUnderTest } from './pipeline.ts';

const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;
const schemas = loadProtocolSchemas();

/** The gateway as its own process, in the namespace of `env`. */
export function gatewayProcess(name: string, env: Readonly<Record<string, string>>): ServiceProcess {
  return new ServiceProcess({ name, entry: 'services/gateway/src/main.ts', env, logDir: LOG_DIR });
}

/** Ingest, one shard worker and a gateway in a fresh namespace, all as processes. */
export interface GatewayPipeline {
  readonly pipeline: PipelineUnderTest;
  readonly gateway: ServiceProcess;
  /** Stops the processes and deletes the namespace's topics and keys. */
  stop(): Promise<void>;
}

export async function startGatewayPipeline(label: string, gatewayEnv: Readonly<Record<string, string>> = {}): Promise<GatewayPipeline> {
  const namespace = randomNamespace(label);
  const pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0'], ingestInstances: 1 });
  await pipeline.start();
  const gateway = gatewayProcess(`${namespace}gateway`, { ...pipeline.env, ...gatewayEnv });
  await gateway.start(60_000);
  return {
    pipeline,
    gateway,
    stop: async () => {
      await gateway.stop();
      await pipeline.stop();
      await pipeline.purge();
    },
  };
}

export interface SeriesSamples {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly samples: readonly { readonly value: number; readonly timestamp: number }[];
}

/** A remote-write 1.0 WriteRequest, protobuf-encoded, not yet compressed. */
export function writeRequestBytes(series: readonly SeriesSamples[]): Buffer {
  const message = schemas.writeRequest.fromObject({
    timeseries: series.map((s) => ({
      labels: [{ name: '__name__', value: s.name }, ...Object.entries(s.labels ?? {}).map(([name, value]) => ({ name, value }))],
      samples: s.samples,
    })),
  });
  return Buffer.from(schemas.writeRequest.encode(message).finish());
}

export function snappy(bytes: Buffer): Buffer {
  return Buffer.from(compress(bytes));
}

export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter: string | null;
}

/** POSTs `body` to `url` and reads the whole answer; a refused connection is status 0. */
export async function post(url: string, body: Uint8Array, headers: Record<string, string>): Promise<Answer> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers });
    return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    return { status: 0, text: String(err), retryAfter: null };
  }
}

export interface DlqRecord {
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Reads `topic` from the beginning until `count` records arrived. */
export async function readRecords(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<DlqRecord[]> {
  const records: DlqRecord[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ value: message.value?.toString('utf8') ?? '', headers });
      },
    });
    await eventually(`${count} records on ${topic}`, timeoutMs, async () => (records.length >= count ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  return records;
}
