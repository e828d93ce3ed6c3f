/**
 * Measures the shard's two hot paths and prints one JSON line:
 * - aggregation: decode + fold of shard records (samples/s, one core);
 * - flush: payload encoding, the flush script and WAIT against the running
 *   local stack (ms per flush, µs per window touched).
 * Run: tsx services/shard/bench/flush-bench.ts [series] [samplesPerFlush] [timestampSpreadMs] [rounds]
 * The default spread (5 s) matches live traffic, where timestamps are recent:
 * each series touches two 10 s windows and one of each coarser resolution.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RESOLUTIONS, decodeShardRecord, encodeShardRecord, redisKeys, type ShardRecord, type ShardSeries } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { loadStackSettings, stackUp } from '@ringtail/stack';
import { isRetriable } from '../src/errors.ts';
import { flushPayload } from '../src/flush-payload.ts';
import { RedisWindowSink } from '../src/redis-window-sink.ts';
import { WindowAggregator } from '../src/window-aggregator.ts';

const seriesCount = Number(process.argv[2] ?? 10_000);
const samplesPerFlush = Number(process.argv[3] ?? 200_000);
const spreadMs = Number(process.argv[4] ?? 5_000);
const rounds = Number(process.argv[5] ?? 5);
const SAMPLES_PER_RECORD = 500;
// Other tests on the shared stack fail Redis over; a bench flush waits that out instead of dying.
const RETRY_FOR_MS = 60_000;
const series: ShardSeries[] = Array.from({ length: seriesCount }, (_, i) => ({
  id: i.toString(16).padStart(16, '0'),
  name: 'bench_metric',
  labels: { host: `h${i % 100}`, idx: String(i) },
}));
// Mid-hour and 2.5 s past a 10 s boundary: with the default spread every series touches two 10 s
// windows and one of each coarser resolution, the same count on every run.
const HOUR_MS = 3_600_000;
const nowMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS / 2 + 12_500;

function makeRecords(rawOffsetStart: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let done = 0; done < count; done += SAMPLES_PER_RECORD) {
    const used = new Map<number, number>();
    const recSeries: ShardSeries[] = [];
    const samples: [number, number, number, number][] = [];
    for (let i = 0; i < SAMPLES_PER_RECORD; i++) {
      const s = (done + i) % seriesCount;
      let idx = used.get(s);
      if (idx === undefined) {
        idx = recSeries.push(series[s]!) - 1;
        used.set(s, idx);
      }
      samples.push([idx, Math.random() * 100, nowMs - Math.floor(Math.random() * spreadMs), rawOffsetStart + done + i]);
    }
    const r: ShardRecord = { v: 2, rp: 0, series: recSeries, samples };
    out.push(encodeShardRecord(r));
  }
  return out;
}

async function retrying<T>(op: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + RETRY_FOR_MS;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!isRetriable(err) || performance.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

const aggregator = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
aggregator.loadPartition(0, new Map());
const encoded = Array.from({ length: rounds }, (_, k) => makeRecords(k * samplesPerFlush, samplesPerFlush));

// The stack of this checkout's settings (RINGTAIL_SENTINEL_PORT...), started if it is not running.
const { endpoints } = await stackUp(loadStackSettings(process.env));
const redis = createSentinelClient({ sentinels: endpoints.sentinels, masterName: endpoints.sentinelMasterName }, 'bench', 30_000);
const keys = redisKeys(`bench-${randomBytes(3).toString('hex')}`);
const sink = new RedisWindowSink(redis, { keys, minReplicas: 1, waitTimeoutMs: 5000 });

let aggregateMs = 0;
const flushMs: number[] = [];
const scriptMs: number[] = [];
const payloadMs: number[] = [];
const payloadBytes: number[] = [];
const windowsPerFlush: number[] = [];
let kafkaOffset = 0;
for (const batch of encoded) {
  const t0 = performance.now();
  for (const bytes of batch) aggregator.add(0, String(kafkaOffset++), decodeShardRecord(bytes));
  aggregateMs += performance.now() - t0;
  const flush = aggregator.takeBatch()!;
  // Encoded once more outside the timed flush, to split JS cost from Redis cost.
  const tp = performance.now();
  for (const p of flush.partitions) payloadBytes.push(Buffer.byteLength(flushPayload(keys, p)));
  payloadMs.push(performance.now() - tp);
  windowsPerFlush.push(flush.partitions.reduce((n, p) => n + p.windows.length, 0));
  const t1 = performance.now();
  for (const p of flush.partitions) await retrying(() => sink.apply(p));
  scriptMs.push(performance.now() - t1);
  await retrying(() => sink.awaitReplicas());
  flushMs.push(performance.now() - t1);
  aggregator.markIndexed(flush.partitions.flatMap((p) => p.newSeries));
}
const stale = await redis.keys(keys.scanPattern);
for (let i = 0; i < stale.length; i += 1000) await redis.del(...stale.slice(i, i + 1000));
redis.disconnect();

const total = rounds * samplesPerFlush;
// The first flush creates every window (and the index); later ones merge into existing windows.
const steady = (xs: readonly number[]) => median(xs.length > 1 ? xs.slice(1) : xs);
const windows = steady(windowsPerFlush);
const scriptMsSteady = steady(scriptMs);
console.log(
  JSON.stringify({
    bench: 'shard-flush',
    series: seriesCount,
    samplesPerFlush,
    spreadMs,
    rounds,
    windowsPerFlush: windows,
    payloadBytes: steady(payloadBytes),
    payloadMs: round1(steady(payloadMs)),
    aggregateSamplesPerSec: Math.round(total / (aggregateMs / 1000)),
    flushMsFirst: Math.round(flushMs[0]!),
    scriptMsFirst: Math.round(scriptMs[0]!),
    usPerWindowFirst: round1((scriptMs[0]! * 1000) / windowsPerFlush[0]!),
    scriptMs: Math.round(scriptMsSteady),
    flushMs: Math.round(steady(flushMs)),
    usPerWindow: round1((scriptMsSteady * 1000) / windows),
    endToEndSamplesPerSec: Math.round(total / ((aggregateMs + flushMs.reduce((a, b) => a + b)) / 1000)),
  }),
);
