/**
 * End-to-end ingest throughput against a running stack: pre-loads the raw topic
 * of a fresh namespace, starts ingest in-process and times until every raw
 * partition is committed to its end (group join included). Prints one JSON line.
 * Run: npx tsx services/ingest/bench/kafka-bench.ts  (KAFKA_BROKERS as for ingest)
 */
import { randomBytes } from 'node:crypto';
import { topicNames } from '@ringtail/model';
import { createKafka, createLogger, ensureTopics } from '@ringtail/runtime';
import { loadConfig } from '../src/config.ts';
import { startIngest } from '../src/ingest-service.ts';
import { BENCH_TIME_MS, benchMessages } from './bench-messages.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 15_000);
const SAMPLES_PER_MESSAGE = 100;
const POLL_MS = 100;

const namespace = `bench-${randomBytes(4).toString('hex')}.`;
const config = loadConfig({ ...process.env, RINGTAIL_NAMESPACE: namespace, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const log = createLogger('ingest-bench', config.logLevel);
const topics = topicNames(namespace);
const kafka = createKafka(config.kafkaBrokers, 'ingest-bench', log);
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, [{ topic: topics.raw, numPartitions: config.rawPartitions }], { log });

const producer = kafka.producer();
await producer.connect();
const messages = benchMessages(MESSAGES, SAMPLES_PER_MESSAGE);
// Few messages per request: kafkajs makes one record batch per partition, capped by max.message.bytes.
const PER_REQUEST = 4 * config.rawPartitions;
for (let i = 0; i < messages.length; i += PER_REQUEST) {
  await producer.send({ topic: topics.raw, acks: 1, messages: messages.slice(i, i + PER_REQUEST).map((value, j) => ({ partition: (i + j) % config.rawPartitions, value, timestamp: String(BENCH_TIME_MS) })) });
}
await producer.disconnect();
const ends = await admin.fetchTopicOffsets(topics.raw);

const started = performance.now();
// Process CPU (ingest plus the light polling below): less sensitive than wall time to other load on the machine.
const cpuBefore = process.cpuUsage();
const service = await startIngest(config, log);
let joinedAt: number | undefined;
for (;;) {
  if (joinedAt === undefined && service.isReady()) joinedAt = performance.now();
  const [committed] = await admin.fetchOffsets({ groupId: topics.ingestGroup, topics: [topics.raw] });
  if (ends.every((e) => committed?.partitions.find((c) => c.partition === e.partition)?.offset === e.high)) break;
  await new Promise((r) => setTimeout(r, POLL_MS));
}
const finished = performance.now();
const cpu = process.cpuUsage(cpuBefore);
const seconds = (finished - started) / 1000;
const secondsAfterJoin = (finished - (joinedAt ?? started)) / 1000;
await service.stop();
await admin.deleteTopics({ topics: [topics.raw, topics.dlq, topics.shard] });
await admin.disconnect();
const samples = MESSAGES * SAMPLES_PER_MESSAGE;
console.log(JSON.stringify({ bench: 'ingest-kafka', samples, seconds: Number(seconds.toFixed(2)), samplesPerSec: Math.round(samples / seconds), samplesPerSecAfterJoin: Math.round(samples / secondsAfterJoin), cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)), samplesPerCpuSec: Math.round(samples / ((cpu.user + cpu.system) / 1e6)) }));
