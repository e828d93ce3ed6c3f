/**
 * Pipeline benchmark: `npm run bench:pipeline -- [--json] [--samples N] [--series N,N...] [--workers N] [--ingest N] [--latency-rate N]`.
 *
 * On the local stack, for each active-series count of `--series` (default 10k
 * and 100k), in one run:
 *  (a) raw Kafka: the same messages produced to a fresh topic and consumed by a
 *      kafkajs consumer at the same time — what the broker and kafkajs manage here;
 *  (b) the full pipeline: the same messages produced to metrics.raw while ingest
 *      and the shard workers run as processes, until every sample is in Redis;
 *  (c) latency at half of (b)'s rate (or `--latency-rate`): probe samples from produce to visible in Redis;
 *  (d) exactness: every window compared with the reference aggregation, once
 *      every resolution holds every sample (`coarseCatchUpMs` after the finest
 *      did: the coarse ones are written once per COARSE_FLUSH_INTERVAL_MS);
 *  (e) peak resident memory of ingest and of each shard worker over (b) and (c),
 *      sampled from /proc;
 *  (f) `latencyStages`: the mean of each stage histogram of ingest and the shard
 *      workers over (c) (stage-times.ts), to show where produce→visible goes;
 *  (g) `windowsWrittenKnown`, `windowsMerged`, `flushesNotAsKnown`: over the run,
 *      how the workers' flushes wrote windows (services/shard/README.md, "Known windows").
 * Prints one JSON object with --json, a readable summary otherwise: the first
 * series count's figures at the top level, every count's under `series`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { SampleGenerator, percentile, type RawSample } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, redisKeys, topicNames, windowStartMs } from '@ringtail/model';
import { ensureTopics, eventually } from '@ringtail/runtime';
import { loadStackSettings, stackUp, type ServiceProcess, type StackEndpoints } from '@ringtail/stack';
import { PipelineUnderTest, sumMetric } from '../support/pipeline.ts';
import { rssMb } from '../faults/fault-actions.ts';
import { stageMeans, stageTotals } from './stage-times.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    samples: { type: 'string', default: '1000000' },
    series: { type: 'string', default: '10000,100000' },
    workers: { type: 'string', default: '2' },
    ingest: { type: 'string', default: '1' },
    'latency-seconds': { type: 'string', default: '15' },
    // Samples/s of the latency phase; 0: half the measured pipeline rate. A fixed rate compares runs
    // whose throughput phases differed (another process's load on a shared machine).
    'latency-rate': { type: 'string', default: '0' },
    'samples-per-message': { type: 'string', default: '100' },
  },
});
const TOTAL = Number(values.samples);
const PER_MESSAGE = Number(values['samples-per-message']);
const SERIES_COUNTS = values.series.split(',').map(Number);
const SENDS_IN_FLIGHT = 4;
// Often enough to catch a peak between flushes, rarely enough to cost nothing measurable.
const RSS_SAMPLE_MS = 250;
const MESSAGES_PER_SEND = 20;
const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

/** Sends `messages` with a few requests in flight; resolves when all are acknowledged. */
// A bench phase that has not finished by then is stuck, not slow.
const WAIT_TIMEOUT_MS = 10 * 60_000;

async function produceAll(producer: Producer, topic: string, messages: readonly string[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < messages.length) {
      const chunk = messages.slice(next, next + MESSAGES_PER_SEND);
      next += MESSAGES_PER_SEND;
      await producer.send({ topic, acks: -1, messages: chunk.map((value) => ({ value })) });
    }
  };
  await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, lane));
}

/** Highest RSS (MB) of each process seen until `stop()`, sampled every RSS_SAMPLE_MS. */
function peakRss(pids: () => (number | undefined)[]): { stop(): number[] } {
  const peaks: number[] = [];
  const sample = () =>
    pids().forEach((pid, i) => {
      const mb = rssMb(pid);
      if (mb !== undefined && mb > (peaks[i] ?? 0)) peaks[i] = mb;
    });
  sample();
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

async function main(): Promise<void> {
  const { endpoints } = await stackUp(loadStackSettings(process.env));
  const points = [];
  for (const seriesCount of SERIES_COUNTS) points.push(await runPoint(endpoints, seriesCount));
  const [first] = points;
  const result = {
    samples: TOTAL,
    samplesPerMessage: PER_MESSAGE,
    workers: Number(values.workers),
    ingestInstances: Number(values.ingest),
    ...first,
    series: points,
  };
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

/** Phases (a)-(e) with `seriesCount` active series, in a namespace of their own. */
async function runPoint(endpoints: StackEndpoints, seriesCount: number) {
  const namespace = `bench-${Date.now().toString(36)}.`;
  const topics = topicNames(namespace);
  const kafka = new Kafka({ clientId: 'ringtail-bench', brokers: [...endpoints.kafkaBrokers], logLevel: logLevel.NOTHING });
  say(`-- ${seriesCount} active series`);

  const generator = new SampleGenerator({ seriesCount, labelsPerSeries: 4, metricNames: 20, jitterMs: 10_000, seed: 42 });
  const samples: RawSample[] = [];
  const messages: string[] = [];
  for (let i = 0; i < TOTAL; i += PER_MESSAGE) {
    const batch = generator.next(Math.min(PER_MESSAGE, TOTAL - i), Date.now());
    samples.push(...batch);
    messages.push(JSON.stringify(batch));
  }

  // (a) raw kafkajs produce → consume.
  const admin = kafka.admin();
  await admin.connect();
  const rawTopic = `${namespace}raw-baseline`;
  await ensureTopics(admin, [{ topic: rawTopic, numPartitions: 8 }]);
  const consumer = kafka.consumer({ groupId: `${namespace}baseline` });
  await consumer.connect();
  await consumer.subscribe({ topic: rawTopic, fromBeginning: true });
  let consumedSamples = 0;
  let groupJoined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => void (groupJoined = true));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) consumedSamples += (JSON.parse(String(m.value)) as unknown[]).length;
    },
  });
  await eventually('the baseline consumer to join', WAIT_TIMEOUT_MS, () => groupJoined, 20);
  const baselineProducer = kafka.producer();
  await baselineProducer.connect();
  const rawStart = performance.now();
  await produceAll(baselineProducer, rawTopic, messages);
  await eventually('the baseline consumer to read every sample', WAIT_TIMEOUT_MS, () => consumedSamples >= TOTAL, 5);
  const rawMs = performance.now() - rawStart;
  await consumer.disconnect();
  // The baseline producer still lists the deleted topic in its metadata: later phases use their own.
  await baselineProducer.disconnect();
  await admin.deleteTopics({ topics: [rawTopic] }).catch(() => undefined);
  await admin.disconnect();
  const rawKafkaSamplesPerSec = Math.round((TOTAL * 1000) / rawMs);
  say(`raw kafkajs produce→consume: ${TOTAL} samples in ${Math.round(rawMs)} ms = ${rawKafkaSamplesPerSec}/s`);

  // (b) the full pipeline.
  const workers = Array.from({ length: Number(values.workers) }, (_, i) => `w${i}`);
  const pipeline = new PipelineUnderTest(endpoints, { namespace, workers, ingestInstances: Number(values.ingest) });
  running = pipeline;
  await pipeline.start();
  const shards = [...pipeline.shards.values()];
  const rss = peakRss(() => [pipeline.ingest[0]?.pid, ...shards.map((p) => p.pid)]);
  const producer = kafka.producer();
  await producer.connect();
  const pipeStart = performance.now();
  await produceAll(producer, topics.raw, messages);
  const producedMs = performance.now() - pipeStart;
  await eventually('every sample flushed', WAIT_TIMEOUT_MS, async () => (await sumMetric(shards, 'ringtail_shard_samples_flushed_total')) >= TOTAL, 20);
  const pipeMs = performance.now() - pipeStart;
  const samplesPerSec = Math.round((TOTAL * 1000) / pipeMs);
  say(`pipeline: ${TOTAL} samples produced in ${Math.round(producedMs)} ms, all in Redis after ${Math.round(pipeMs)} ms = ${samplesPerSec}/s`);

  // The coarse resolutions follow within COARSE_FLUSH_INTERVAL_MS: exactness is judged once they hold everything too.
  await eventually('the coarse resolutions to catch up', WAIT_TIMEOUT_MS, () => pipeline.coarseCaughtUp(), 20);
  const coarseCatchUpMs = Math.round(performance.now() - pipeStart - pipeMs);
  say(`every resolution held every sample ${coarseCatchUpMs} ms later`);

  // (d) exactness of (b).
  const applied = await pipeline.appliedCount(samples);
  const mismatches = await pipeline.mismatches(samples, 1000);

  // (c) latency at half the measured rate, with probe samples on series of their own.
  const keys = redisKeys(namespace);
  const step = DEFAULT_RESOLUTIONS[0]!;
  const latencyRate = Number(values['latency-rate']) > 0 ? Number(values['latency-rate']) : Math.round(samplesPerSec / 2);
  const latencies: number[] = [];
  const pending = new Map<string, number>();
  let probing = true;
  const poller = (async () => {
    while (probing || pending.size > 0) {
      const entries = [...pending];
      if (entries.length > 0) {
        const p = pipeline.redis.pipeline();
        for (const [key] of entries) p.exists(key);
        const replies = (await p.exec()) ?? [];
        const now = performance.now();
        entries.forEach(([key, sentAt], i) => {
          if (replies[i]?.[1] === 1) {
            latencies.push(now - sentAt);
            pending.delete(key);
          }
        });
      }
      await sleep(5);
    }
  })();
  const stagesBefore = await stageTotals([...pipeline.ingest, ...shards]);
  const loadGen = new SampleGenerator({ seriesCount, labelsPerSeries: 4, metricNames: 20, jitterMs: 2000, seed: 7 });
  const latencyEnd = performance.now() + Number(values['latency-seconds']) * 1000;
  const tickMs = 50;
  let probe = 0;
  while (performance.now() < latencyEnd) {
    const tickStart = performance.now();
    const batch = loadGen.next(Math.round((latencyRate * tickMs) / 1000), Date.now());
    const probeSample: RawSample = { name: 'ringtail_bench_probe', labels: { probe: String(probe++) }, value: 1, timestamp: Date.now() };
    const out = [JSON.stringify([probeSample])];
    for (let i = 0; i < batch.length; i += PER_MESSAGE) out.push(JSON.stringify(batch.slice(i, i + PER_MESSAGE)));
    const sentAt = performance.now();
    pending.set(keys.window(pipeline.seriesId(probeSample), step.name, windowStartMs(probeSample.timestamp, step.stepMs)), sentAt);
    await producer.send({ topic: topics.raw, acks: -1, messages: out.map((value) => ({ value })) });
    const spent = performance.now() - tickStart;
    if (spent < tickMs) await sleep(tickMs - spent);
  }
  probing = false;
  const pollDeadline = performance.now() + 30_000;
  while (pending.size > 0 && performance.now() < pollDeadline) await sleep(50);
  const unseenProbes = pending.size;
  const latencyStages = stageMeans(stagesBefore, await stageTotals([...pipeline.ingest, ...shards]));
  const knownWindows = await knownWindowCounts(shards);
  pending.clear();
  await poller;
  latencies.sort((a, b) => a - b);
  const [ingestRss = 0, ...shardRss] = rss.stop();

  await producer.disconnect();
  await pipeline.stop();
  await pipeline.purge();
  running = undefined;

  return {
    activeSeries: seriesCount,
    samplesPerSec,
    rawKafkaSamplesPerSec,
    ratio: Math.round((samplesPerSec / rawKafkaSamplesPerSec) * 1000) / 1000,
    latencyRatePerSec: latencyRate,
    latencyProbes: latencies.length,
    unseenProbes,
    p50LatencyMs: Math.round(percentile(latencies, 50)),
    p99LatencyMs: Math.round(percentile(latencies, 99)),
    lost: Math.max(0, TOTAL - applied),
    duplicated: Math.max(0, applied - TOTAL),
    windowMismatches: mismatches.length,
    coarseCatchUpMs,
    ingestRssMb: Math.round(ingestRss),
    shardRssMbMax: Math.round(Math.max(0, ...shardRss)),
    latencyStages,
    ...knownWindows,
  };
}

/** Over the whole run, every worker: windows written outright, windows merged by the script, scripts refused as not as known. */
async function knownWindowCounts(shards: readonly ServiceProcess[]): Promise<{ windowsWrittenKnown: number; windowsMerged: number; flushesNotAsKnown: number }> {
  return {
    windowsWrittenKnown: await sumMetric(shards, 'ringtail_shard_windows_written_known_total'),
    windowsMerged: await sumMetric(shards, 'ringtail_shard_windows_merged_total'),
    flushesNotAsKnown: await sumMetric(shards, 'ringtail_shard_flushes_not_as_known_total'),
  };
}

let running: PipelineUnderTest | undefined;

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await running?.stop().catch(() => undefined);
  await running?.purge().catch(() => undefined);
  process.exit(1);
});
