/**
 * Broker-restart recovery: `npm run bench:broker-restart -- [--json] [--rate N] [--down-seconds N] [--rounds N]`.
 *
 * On the local stack (it kills the stack's own broker, so run it alone): ingest
 * and one shard worker run as processes under steady load; the Kafka broker is
 * killed with SIGKILL, left down for a while and started again. Measured from
 * the moment the broker answers metadata requests again:
 *  - ingestCaughtUpMs: the raw consumer group's committed lag is back under one second of load,
 *  - shardCaughtUpMs: every sample produced so far is counted in Redis.
 * Samples go on being produced throughout (the producer retries while the broker is down).
 * Prints one JSON object with --json, a readable summary otherwise. Not a test: it times things.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { connectIdempotentProducer } from '@ringtail/runtime';
import { LocalStack, loadStackSettings, stackUp } from '@ringtail/stack';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { until } from '../support/until.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rate: { type: 'string', default: '2000' },
    'down-seconds': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
  },
});
const RATE = Number(values.rate);
const DOWN_MS = Number(values['down-seconds']) * 1000;
const ROUNDS = Number(values.rounds);
const TICK_MS = 100;
// Caught up: lag back under one second of load (one message per tick).
const MESSAGES_PER_SECOND = 1000 / TICK_MS;
const CATCH_UP_TIMEOUT_MS = 120_000;
const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

async function rawLag(admin: Admin, topic: string, groupId: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  let lag = 0;
  for (const end of ends) {
    const c = committed?.partitions.find((p) => p.partition === end.partition);
    lag += Number(end.high) - Math.max(0, Number(c?.offset ?? 0));
  }
  return lag;
}

async function main(): Promise<void> {
  const settings = loadStackSettings(process.env);
  const { mode, endpoints } = await stackUp(settings);
  if (mode !== 'local') throw new Error('broker-restart bench needs the local stack (it kills its broker)');
  const stack = new LocalStack(settings.topology);
  const namespace = `bench-restart-${Date.now().toString(36)}.`;
  const topics = topicNames(namespace);
  const pipeline = new PipelineUnderTest(endpoints, { namespace, workers: ['w0'], ingestInstances: 1, extraEnv: { RAW_PARTITIONS: '4', LOG_LEVEL: 'warn' } });
  await pipeline.start();
  const kafka = new Kafka({ clientId: 'broker-restart-bench', brokers: [...endpoints.kafkaBrokers], logLevel: logLevel.NOTHING, retry: { retries: 1000, maxRetryTime: 1000 } });
  const producer = await connectIdempotentProducer(kafka);

  const produced: RawSample[] = [];
  let producing = true;
  let seq = 0;
  const load = (async () => {
    while (producing) {
      const started = performance.now();
      const now = Date.now();
      const batch = Array.from({ length: Math.max(1, Math.round((RATE * TICK_MS) / 1000)) }, (): RawSample => {
        seq += 1;
        return { name: 'restart_probe', labels: { series: String(seq % 500) }, value: seq, timestamp: now };
      });
      // One message per tick; kafkajs retries it while the broker is away, so the rate dips then catches up.
      await producer.send({ topic: topics.raw, acks: -1, messages: [{ value: JSON.stringify(batch) }] });
      produced.push(...batch);
      await sleep(Math.max(0, TICK_MS - (performance.now() - started)));
    }
  })();

  const admin = kafka.admin();
  await admin.connect();
  const rounds: { ingestCaughtUpMs: number; shardCaughtUpMs: number; brokerStartMs: number }[] = [];
  try {
    await sleep(5_000);
    for (let round = 0; round < ROUNDS; round++) {
      const pid = stack.status().find((c) => c.name.startsWith('kafka'))?.pid;
      if (pid === undefined) throw new Error('no local Kafka broker pid');
      say(`round ${round + 1}: kill -9 ${pid}, ${DOWN_MS} ms down`);
      process.kill(pid, 'SIGKILL');
      await sleep(DOWN_MS);
      const restartAt = performance.now();
      void stackUp(settings);
      if (!(await until('the broker answering', CATCH_UP_TIMEOUT_MS, async () => (await admin.fetchTopicMetadata({ topics: [topics.raw] })).topics.length === 1, 50))) {
        throw new Error('broker did not answer again');
      }
      const answeringAt = performance.now();
      // Catching up means past everything produced by the time the broker answered, and then keeping up.
      const target = produced.slice();
      const ingestDone = until('ingest caught up', CATCH_UP_TIMEOUT_MS, async () => (await rawLag(admin, topics.raw, topics.ingestGroup)) <= MESSAGES_PER_SECOND).then(() => performance.now());
      const shardDone = until('shard caught up', CATCH_UP_TIMEOUT_MS, async () => (await pipeline.appliedCount(target)) >= target.length, 250).then(() => performance.now());
      const [ingestAt, shardAt] = await Promise.all([ingestDone, shardDone]);
      const r = { brokerStartMs: Math.round(answeringAt - restartAt), ingestCaughtUpMs: Math.round(ingestAt - answeringAt), shardCaughtUpMs: Math.round(shardAt - answeringAt) };
      say(`round ${round + 1}: broker answered after ${r.brokerStartMs} ms; ingest caught up ${r.ingestCaughtUpMs} ms and shard ${r.shardCaughtUpMs} ms after that`);
      rounds.push(r);
      await sleep(5_000);
    }
  } finally {
    producing = false;
    await load.catch(() => undefined);
    const total = produced.length;
    await until('every sample applied', CATCH_UP_TIMEOUT_MS, async () => (await pipeline.appliedInEveryResolution(produced)) >= total, 500);
    const counted = await pipeline.appliedCount(produced);
    await admin.disconnect();
    await producer.disconnect();
    await pipeline.stop();
    await pipeline.purge();
    const result = {
      bench: 'broker-restart',
      rate: RATE,
      downMs: DOWN_MS,
      rounds,
      maxIngestCaughtUpMs: Math.max(...rounds.map((r) => r.ingestCaughtUpMs)),
      maxShardCaughtUpMs: Math.max(...rounds.map((r) => r.shardCaughtUpMs)),
      samples: total,
      lost: Math.max(0, total - counted),
      duplicated: Math.max(0, counted - total),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else say(JSON.stringify(result, null, 2));
  }
}

await main();
