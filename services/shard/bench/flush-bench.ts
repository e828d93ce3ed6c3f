/**
 * Measures the shard's two hot paths and prints one JSON line:
 * - aggregation: decode + fold of shard records (samples/s, one core);
 * - flush: flush-1.lua + WAIT against the running local stack (ms per flush).
 * Run: tsx services/shard/bench/flush-bench.ts [series] [samplesPerFlush]
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_RESOLUTIONS, decodeShardRecord, encodeShardRecord, redisKeys, type ShardRecord, type ShardSeries } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { RedisWindowSink } from '../src/redis-window-sink.ts';
import { WindowAggregator } from '../src/window-aggregator.ts';

const seriesCount = Number(process.argv[2] ?? 10_000);
const samplesPerFlush = Number(process.argv[3] ?? 75_000);
const SAMPLES_PER_RECORD = 500;
const series: ShardSeries[] = Array.from({ length: seriesCount }, (_, i) => ({
  id: i.toString(16).padStart(16, '0'),
  name: 'bench_metric',
  labels: { host: `h${i % 100}`, idx: String(i) },
}));
const nowMs = Date.now();

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
      samples.push([idx, Math.random() * 100, nowMs - Math.floor(Math.random() * 60_000), rawOffsetStart + done + i]);
    }
    const r: ShardRecord = { v: 1, epoch: 1, rp: 0, series: recSeries, samples };
    out.push(encodeShardRecord(r));
  }
  return out;
}

const aggregator = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
aggregator.loadPartition(0, new Map());
const rounds = 5;
const encoded = Array.from({ length: rounds }, (_, k) => makeRecords(k * samplesPerFlush, samplesPerFlush));

const redis = createSentinelClient({ sentinels: [26390, 26391, 26392].map((port) => ({ host: '127.0.0.1', port })), masterName: 'ringtail' }, 'bench', 30_000);
const keys = redisKeys(`bench-${randomBytes(3).toString('hex')}`);
const sink = new RedisWindowSink(redis, { keys, minReplicas: 1, waitTimeoutMs: 5000 });

let aggregateMs = 0;
let applyMs = 0;
const flushMs: number[] = [];
let kafkaOffset = 0;
for (const batch of encoded) {
  const t0 = performance.now();
  for (const bytes of batch) aggregator.add(0, String(kafkaOffset++), decodeShardRecord(bytes));
  aggregateMs += performance.now() - t0;
  const flush = aggregator.takeBatch()!;
  const t1 = performance.now();
  for (const p of flush.partitions) await sink.apply("bench", p);
  applyMs += performance.now() - t1;
  await sink.awaitReplicas();
  flushMs.push(performance.now() - t1);
  aggregator.markIndexed(flush.partitions.flatMap((p) => p.newSeries));
}
const stale = await redis.keys(`${keys.prefix}*`);
for (let i = 0; i < stale.length; i += 1000) await redis.del(...stale.slice(i, i + 1000));
redis.disconnect();

const total = rounds * samplesPerFlush;
const sortedFlush = [...flushMs].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'shard-flush',
    series: seriesCount,
    samplesPerFlush,
    aggregateSamplesPerSec: Math.round(total / (aggregateMs / 1000)),
    flushMsFirst: Math.round(flushMs[0]!),
    scriptMsMean: Math.round(applyMs / rounds),
    flushMsMedian: Math.round(sortedFlush[Math.floor(sortedFlush.length / 2)]!),
    endToEndSamplesPerSec: Math.round(total / ((aggregateMs + flushMs.reduce((a, b) => a + b)) / 1000)),
  }),
);
