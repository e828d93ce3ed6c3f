/**
 * End-to-end phase of the alerter benchmark: the real pipeline (ingest + two
 * shard workers as processes) and an alerter process share a fresh
 * namespace; crossing samples go through Kafka while background load keeps the
 * pipeline busy. Measures from the broker acknowledging a crossing sample to
 * its firing webhook arriving. Beside the probe rule, `fillerRules` rules each
 * select one series of the background load (never firing), so the alerter
 * handles announcements and evaluations for them as a real rule file would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, produceLoad, SampleGenerator, type RawSample } from '@ringtail/loadgen';
import { CHANGE_FIELDS, redisKeys, slotOfSeriesId, topicNames } from '@ringtail/model';
import { eventually, scrapeMetrics } from '@ringtail/runtime';
import { loadStackSettings, ServiceProcess, stackUp } from '@ringtail/stack';
import { PipelineUnderTest } from '../../../test/support/pipeline.ts';
import { stackEnv } from '../../../test/support/stack-env.ts';
import { startFiringReceiver } from './first-firing.ts';

export interface PipelinePhaseOptions {
  readonly evalIntervalMs: number;
  readonly changeDriven: boolean;
  /** Threshold crossings, each on its own series and so its own alert. */
  readonly crossings: number;
  /** Crossings are spread uniformly at random over this span. */
  readonly spreadMs: number;
  readonly loadSamplesPerSec: number;
  readonly loadSeries: number;
  /** Rules on background series besides the probe rule (the 1,000 rules: 999). */
  readonly fillerRules: number;
  /** Webhook secret (`whsec_<base64>`) the receiver is configured with. */
  readonly secret: string;
}

export interface PipelinePhaseResult {
  readonly e2eCrossings: number;
  readonly e2eDelivered: number;
  readonly e2eLoadSamplesPerSec: number;
  readonly p50ProduceToWebhookMs: number;
  readonly p99ProduceToWebhookMs: number;
  readonly maxProduceToWebhookMs: number;
  /** The pipeline's part: acknowledged → the flush applying it (its change stream entry's time). */
  readonly p50ProduceToFlushMs: number;
  readonly p99ProduceToFlushMs: number;
  /** The alerter's part: that flush → the webhook. */
  readonly p50FlushToWebhookMs: number;
  readonly p99FlushToWebhookMs: number;
  /**
   * The alerter's part split at the evaluation that fired (its clock, the
   * webhook's `startsAt`): the flush → that evaluation starting (following the
   * change stream, routing, waiting for the evaluation loop), then → the webhook
   * (reading and evaluating, the commit, the dispatcher's poll, WAIT and POST).
   */
  readonly p50FlushToEvaluationMs: number;
  readonly p99FlushToEvaluationMs: number;
  readonly p50EvaluationToWebhookMs: number;
  readonly p99EvaluationToWebhookMs: number;
  /** The slowest crossing's produce → webhook and its parts (null: undelivered, or its flush not found). */
  readonly slowestCrossing: {
    readonly produceToWebhookMs: number;
    readonly produceToFlushMs: number;
    readonly flushToEvaluationMs: number;
    readonly evaluationToWebhookMs: number;
  } | null;
  readonly e2eRules: number;
  /** Evaluations of the rules a change or deadline concerned, and their mean duration. */
  readonly e2eChangeTicks: number;
  readonly e2eChangeTickMs: number;
  /** Mean from a notification's commit to its delivery (WAIT for a replica, the POST). */
  readonly e2eEnqueueToDeliveryMs: number;
  readonly e2eTargetMs: number;
  /**
   * Where the pipeline's part goes: each stage's p99 over every record while the crossings ran,
   * as the upper bound (ms) of the histogram bucket holding it; Infinity (null in JSON) past the last bound.
   */
  readonly e2eStageP99Ms: Readonly<Record<string, number | null>>;
  /** The same stages' mean (ms) over the same records (null: none observed). */
  readonly e2eStageMeanMs: Readonly<Record<string, number | null>>;
  /**
   * The alerter's stages over the crossings' span, p99 (bucket bound, as above) and mean: a change
   * stream read's lag behind its oldest entry, an evaluation's start behind the oldest entry it
   * covers, a change-driven evaluation, and a notification's commit to its delivery.
   */
  readonly e2eAlerterStageP99Ms: Readonly<Record<string, number | null>>;
  readonly e2eAlerterStageMeanMs: Readonly<Record<string, number | null>>;
  /**
   * This process's event-loop delay over the crossings' span, p99 and max (ms): the webhook
   * receiver shares its loop with the load producer, so a crossing's arrival can be stamped late by
   * up to this much.
   */
  readonly benchLoopDelayP99Ms: number;
  readonly benchLoopDelayMaxMs: number;
}

const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;
/** The target for p99 from the crossing sample produced to its webhook. */
const PRODUCE_TO_WEBHOOK_TARGET_MS = 1500;
/** The background generator's metric names and first label (see SampleGenerator). */
const LOAD_METRIC_NAMES = 20;
const LOAD_FIRST_LABEL = 'host';
const PROBE_METRIC = 'bench_e2e';
const PROBE_JOB = 'bench-e2e';
const QUIET_VALUE = 10;
const THRESHOLD = 100;
const CROSSING_VALUE = 1000;
const SAMPLES_PER_MESSAGE = 100;
const MESSAGES_PER_SEND = 10;
const WORKERS = ['w0', 'w1'] as const;
const START_TIMEOUT_MS = 120_000;
const WAIT_POLL_MS = 100;
/** How long before the producer saw its acknowledgement the flush of a sample may have run. */
const ACK_SLACK_MS = 1000;

const probeSample = (probe: number, value: number): RawSample => ({ name: PROBE_METRIC, labels: { job: PROBE_JOB, probe: String(probe) }, value, timestamp: Date.now() });

async function alerterMetric(alerter: ServiceProcess, name: string): Promise<number> {
  return (await alerter.metric(name)) ?? NaN;
}

/**
 * When the flush applying each probe's crossing ran: the id (Redis time, ms) of
 * the first change stream entry at or after its acknowledgement naming the
 * probe's series. Splits produce → webhook into the pipeline's part and the alerter's.
 */
async function flushTimes(pipeline: PipelineUnderTest, namespace: string, ackedAtMs: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const keys = redisKeys(namespace);
  const out = new Map<string, number>();
  for (const [probe, at] of ackedAtMs) {
    const id = pipeline.seriesId(probeSample(Number(probe), CROSSING_VALUE));
    // The sample may be applied just before the producer saw the acknowledgement.
    const entries = await pipeline.redis.xrange(keys.changes(slotOfSeriesId(id, keys.slotCount)), String(at - ACK_SLACK_MS), '+');
    const hit = entries.find(([, fields]) => fields[fields.indexOf(CHANGE_FIELDS.series) + 1]?.split(',').includes(id));
    if (hit) out.set(probe, Number(hit[0].split('-')[0]));
  }
  return out;
}

/** Pipeline stages and the histogram measuring each (see the services' metrics). */
const STAGES: Readonly<Record<string, string>> = {
  ingestRawRecordAge: 'ringtail_ingest_raw_record_age_ms',
  ingestWrite: 'ringtail_ingest_write_duration_ms',
  ingestBatch: 'ringtail_ingest_batch_duration_ms',
  shardRecordAgeAtFetch: 'ringtail_shard_record_age_at_fetch_ms',
  shardFlushQueue: 'ringtail_shard_flush_queue_ms',
  shardFlush: 'ringtail_shard_flush_duration_ms',
};

/** The alerter's stages (its histograms): following the change streams, and on to the evaluation. */
const ALERTER_STAGES: Readonly<Record<string, string>> = {
  changeReadLag: 'ringtail_alerter_change_read_lag_ms',
  changeEvaluationLag: 'ringtail_alerter_change_evaluation_lag_ms',
  changeTick: 'ringtail_alerter_partial_evaluation_duration_ms',
  enqueueToDelivery: 'ringtail_alerter_delivery_latency_ms',
};

/**
 * Per stage, the cumulative bucket counts (by bound) summed over `processes`;
 * the histogram's sum is kept under the bound NaN.
 */
async function stageBuckets(processes: readonly { readonly port: number }[], stages: Readonly<Record<string, string>> = STAGES): Promise<Map<string, Map<number, number>>> {
  const samples = (await Promise.all(processes.map((p) => scrapeMetrics(p.port)))).flat();
  const out = new Map<string, Map<number, number>>();
  for (const [stage, metric] of Object.entries(stages)) {
    const byBound = new Map<number, number>();
    for (const s of samples) {
      let bound: number;
      if (s.name === `${metric}_bucket`) bound = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      else if (s.name === `${metric}_sum`) bound = NaN;
      else continue;
      byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
    }
    out.set(stage, byBound);
  }
  return out;
}

/** Each stage's mean (ms) over the observations since `before` (null: none). */
function stageMeans(before: Map<string, Map<number, number>>, after: Map<string, Map<number, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [stage, buckets] of after) {
    const since = (bound: number) => (buckets.get(bound) ?? 0) - (before.get(stage)?.get(bound) ?? 0);
    const count = since(Infinity);
    out[stage] = count === 0 ? null : Math.round(since(NaN) / count);
  }
  return out;
}

/** The bucket bound at or under which 99% of each stage's observations since `before` fall (null: none). */
function stageP99s(before: Map<string, Map<number, number>>, after: Map<string, Map<number, number>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [stage, buckets] of after) {
    const since = [...buckets].filter(([bound]) => !Number.isNaN(bound)).map(([bound, count]) => [bound, count - (before.get(stage)?.get(bound) ?? 0)] as const).sort((x, y) => x[0] - y[0]);
    const total = since.at(-1)?.[1] ?? 0;
    out[stage] = total === 0 ? null : since.find(([, count]) => count >= 0.99 * total)![0];
  }
  return out;
}

/** `count` rules, each on one background series (spread over them), whose threshold no sample reaches. */
function fillerRules(count: number, loadSeries: number): string[] {
  return Array.from({ length: count }, (_, j) => {
    const series = Math.floor((j * loadSeries) / Math.max(1, count));
    const host = `${LOAD_FIRST_LABEL}-${series.toString().padStart(6, '0')}`;
    return `  - { alert: Filler${j}, selector: 'ringtail_demo_metric_${series % LOAD_METRIC_NAMES}{${LOAD_FIRST_LABEL}="${host}"}', aggregation: max, window: 1m, op: '>', threshold: 1e300 }`;
  });
}

/** Runs the phase; everything it starts is stopped before it returns or throws. */
export async function runPipelinePhase(opts: PipelinePhaseOptions): Promise<PipelinePhaseResult> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const { endpoints } = await stackUp(loadStackSettings(process.env));
    const namespace = `bench-e2e-${randomBytes(4).toString('hex')}.`;
    const topics = topicNames(namespace);

    const receiver = await startFiringReceiver((labels) => (labels.alertname === 'BenchE2E' ? labels.probe : undefined));
    cleanups.push(() => receiver.receiver.stop());

    const pipeline = new PipelineUnderTest(endpoints, { namespace, workers: WORKERS, ingestInstances: 1 });
    // Cleanups run last-in first-out: stop the workers, then purge what they wrote.
    cleanups.push(() => pipeline.purge());
    cleanups.push(() => pipeline.stop());
    await pipeline.start();

    const probeProducer = pipeline.kafka.producer();
    const loadProducer = pipeline.kafka.producer();
    cleanups.push(() => Promise.all([probeProducer.disconnect(), loadProducer.disconnect()]));
    await Promise.all([probeProducer.connect(), loadProducer.connect()]);

    const load = new AbortController();
    const generator = new SampleGenerator({ seriesCount: opts.loadSeries, labelsPerSeries: 4, metricNames: LOAD_METRIC_NAMES, jitterMs: 2000, seed: 11 });
    const loading = produceLoad(loadProducer, generator, {
      topic: topics.raw,
      ratePerSec: opts.loadSamplesPerSec,
      samplesPerMessage: SAMPLES_PER_MESSAGE,
      messagesPerSend: MESSAGES_PER_SEND,
      signal: load.signal,
    });
    // Observed here so a failed send is not an unhandled rejection before it is awaited.
    loading.catch(() => undefined);
    cleanups.push(async () => {
      load.abort();
      await loading.catch(() => undefined);
    });

    const dir = mkdtempSync(join(tmpdir(), 'ringtail-bench-e2e-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const rulesFile = join(dir, 'rules.yaml');
    writeFileSync(
      rulesFile,
      [
        'receivers:',
        // Grouped by every label, so each probe's alert is its own notification rather than a change to a shared group.
        `  - { name: e2e, url: '${receiver.receiver.url}', secrets: ['${opts.secret}'], group_by: ['...'], group_wait: 0s }`,
        'rules:',
        `  - { alert: BenchE2E, selector: '${PROBE_METRIC}{job="${PROBE_JOB}"}', aggregation: max, window: 1m, op: '>', threshold: ${THRESHOLD} }`,
        ...fillerRules(opts.fillerRules, opts.loadSeries),
        '',
      ].join('\n'),
    );
    const alerterEnv = { ...stackEnv(endpoints, namespace), RULES_FILE: rulesFile, EVAL_INTERVAL_MS: String(opts.evalIntervalMs), CHANGE_DRIVEN_EVALUATION: String(opts.changeDriven), LOG_LEVEL: 'warn' };

    // Every probe series exists below the threshold before the alerter starts, so a crossing is a change, not a new series.
    const quiet = Array.from({ length: opts.crossings }, (_, i) => probeSample(i, QUIET_VALUE));
    await probeProducer.send({ topic: topics.raw, acks: -1, messages: [{ value: JSON.stringify(quiet) }] });
    await eventually('quiet probe samples in Redis', START_TIMEOUT_MS, async () => (await pipeline.appliedCount(quiet)) >= quiet.length);

    // A process of its own, as deployed: in this one it would share the event loop with the load producer.
    const alerter = new ServiceProcess({ name: `${namespace.replace(/\.$/, '')}-alerter`, entry: 'services/alerter/src/main.ts', env: alerterEnv, logDir: LOG_DIR });
    cleanups.push(() => alerter.stop());
    await alerter.start(START_TIMEOUT_MS);
    // Two full ticks so the first crossing does not pay for connection setup.
    await eventually('two evaluations', START_TIMEOUT_MS, async () => (await alerterMetric(alerter, 'ringtail_alerter_evaluations_total')) >= 2);

    const pipelineProcesses = [...pipeline.ingest, ...pipeline.shards.values()];
    const stagesBefore = await stageBuckets(pipelineProcesses);
    const alerterBefore = await stageBuckets([alerter], ALERTER_STAGES);
    const ackedAtMs = new Map<string, number>();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const startedMs = Date.now();
    const plan = Array.from({ length: opts.crossings }, (_, probe) => ({ probe, atMs: startedMs + Math.random() * opts.spreadMs })).sort((a, b) => a.atMs - b.atMs);
    await Promise.all(
      plan.map(async ({ probe, atMs }) => {
        await sleep(Math.max(0, atMs - Date.now()));
        await probeProducer.send({ topic: topics.raw, acks: -1, messages: [{ value: JSON.stringify(probeSample(probe, CROSSING_VALUE)) }] });
        ackedAtMs.set(String(probe), Date.now());
      }),
    );
    const deadline = Date.now() + opts.evalIntervalMs * 4 + 10_000;
    while (receiver.firstFiringAtMs.size < ackedAtMs.size && Date.now() < deadline) await sleep(WAIT_POLL_MS);
    loopDelay.disable();
    load.abort();
    const loaded = await loading;

    const latencies = [...ackedAtMs].map(([probe, at]) => (receiver.firstFiringAtMs.get(probe) ?? Infinity) - at).sort((a, b) => a - b);
    const flushedAtMs = await flushTimes(pipeline, namespace, ackedAtMs);
    const stagesAfter = await stageBuckets(pipelineProcesses);
    const alerterAfter = await stageBuckets([alerter], ALERTER_STAGES);
    const stages = stageP99s(stagesBefore, stagesAfter);
    const partialSum = await alerterMetric(alerter, 'ringtail_alerter_partial_evaluation_duration_ms_sum');
    const partialCount = await alerterMetric(alerter, 'ringtail_alerter_partial_evaluation_duration_ms_count');
    const deliverySum = await alerterMetric(alerter, 'ringtail_alerter_delivery_latency_ms_sum');
    const deliveryCount = await alerterMetric(alerter, 'ringtail_alerter_delivery_latency_ms_count');
    const toFlush = [...flushedAtMs].map(([probe, at]) => at - ackedAtMs.get(probe)!).sort((a, b) => a - b);
    const fromFlush = [...flushedAtMs].map(([probe, at]) => (receiver.firstFiringAtMs.get(probe) ?? Infinity) - at).sort((a, b) => a - b);
    const evaluatedAtMs = receiver.firstFiringStartsAtMs;
    const toEvaluation = [...flushedAtMs].filter(([probe]) => evaluatedAtMs.has(probe)).map(([probe, at]) => evaluatedAtMs.get(probe)! - at).sort((a, b) => a - b);
    const fromEvaluation = [...evaluatedAtMs].map(([probe, at]) => receiver.firstFiringAtMs.get(probe)! - at).sort((a, b) => a - b);
    const slowest = [...ackedAtMs].map(([probe, at]) => ({ probe, ms: (receiver.firstFiringAtMs.get(probe) ?? Infinity) - at })).sort((a, b) => b.ms - a.ms)[0];
    const slowestParts = (probe: string) => {
      const [acked, flushed, evaluated, arrived] = [ackedAtMs.get(probe), flushedAtMs.get(probe), evaluatedAtMs.get(probe), receiver.firstFiringAtMs.get(probe)];
      if (acked === undefined || flushed === undefined || evaluated === undefined || arrived === undefined) return null;
      return { produceToWebhookMs: arrived - acked, produceToFlushMs: flushed - acked, flushToEvaluationMs: evaluated - flushed, evaluationToWebhookMs: arrived - evaluated };
    };
    return {
      e2eCrossings: ackedAtMs.size,
      e2eDelivered: [...ackedAtMs.keys()].filter((p) => receiver.firstFiringAtMs.has(p)).length,
      e2eLoadSamplesPerSec: Math.round((loaded.samples * 1000) / loaded.elapsedMs),
      p50ProduceToWebhookMs: Math.round(percentile(latencies, 50)),
      p99ProduceToWebhookMs: Math.round(percentile(latencies, 99)),
      maxProduceToWebhookMs: Math.round(latencies.at(-1) ?? NaN),
      p50ProduceToFlushMs: Math.round(percentile(toFlush, 50)),
      p99ProduceToFlushMs: Math.round(percentile(toFlush, 99)),
      p50FlushToWebhookMs: Math.round(percentile(fromFlush, 50)),
      p99FlushToWebhookMs: Math.round(percentile(fromFlush, 99)),
      p50FlushToEvaluationMs: Math.round(percentile(toEvaluation, 50)),
      p99FlushToEvaluationMs: Math.round(percentile(toEvaluation, 99)),
      p50EvaluationToWebhookMs: Math.round(percentile(fromEvaluation, 50)),
      p99EvaluationToWebhookMs: Math.round(percentile(fromEvaluation, 99)),
      slowestCrossing: slowest === undefined ? null : slowestParts(slowest.probe),
      e2eRules: 1 + opts.fillerRules,
      e2eChangeTicks: partialCount,
      e2eChangeTickMs: Math.round(partialSum / partialCount),
      e2eEnqueueToDeliveryMs: Math.round(deliverySum / deliveryCount),
      e2eTargetMs: PRODUCE_TO_WEBHOOK_TARGET_MS,
      e2eStageP99Ms: stages,
      e2eStageMeanMs: stageMeans(stagesBefore, stagesAfter),
      e2eAlerterStageP99Ms: stageP99s(alerterBefore, alerterAfter),
      e2eAlerterStageMeanMs: stageMeans(alerterBefore, alerterAfter),
      benchLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
      benchLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`bench cleanup failed: ${String(err)}\n`));
  }
}
