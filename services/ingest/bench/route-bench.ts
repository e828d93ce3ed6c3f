/**
 * Pure routing throughput (validate + series key + xxhash + slot + record
 * building + record encoding), no Kafka. Prints one JSON line.
 * Run: npx tsx services/ingest/bench/route-bench.ts
 */
import { createSeriesHasher } from '@ringtail/hashring';
import { DEFAULT_RESOLUTIONS, DEFAULT_SAMPLE_LIMITS, DEFAULT_SHARD_SLOTS, SampleValidator, SeriesCardinalityLimiter } from '@ringtail/model';
import { RawBatchRouter } from '../src/raw-batch-router.ts';
import { createSlotRouter } from '../src/series-router.ts';
import { ShardRecordEncoder } from '../src/shard-record-encoder.ts';
import { BENCH_TIME_MS, benchMessages } from './bench-messages.ts';

const SAMPLES_PER_MESSAGE = 100;
const MESSAGES = 2_000;
const ROUNDS = 5;

const router = createSlotRouter(createSeriesHasher(await (await import('xxhash-wasm')).default()), DEFAULT_SHARD_SLOTS);
const deps = {
  validator: new SampleValidator(DEFAULT_SAMPLE_LIMITS),
  cardinality: new SeriesCardinalityLimiter(DEFAULT_SAMPLE_LIMITS, 10_000),
  router,
  recordLimits: { maxSamples: 5_000, maxBytes: 256 * 1024 },
  agePolicy: { resolutions: DEFAULT_RESOLUTIONS, maxFutureMs: 10 * 60_000 },
};
// Every sample's age is judged against its record's timestamp, as in ingest.
const recordTimestampMs = BENCH_TIME_MS;
const encoder = new ShardRecordEncoder();
const messages = benchMessages(MESSAGES, SAMPLES_PER_MESSAGE);
const rates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  for (let start = 0; start < messages.length; start += 500) {
    const batch = new RawBatchRouter(deps, 0);
    for (let i = start; i < Math.min(start + 500, messages.length); i++) batch.add(i, messages[i]!, recordTimestampMs);
    for (const { records } of batch.finish().shardRecords) for (const r of records) encoder.encode(r);
  }
  rates.push((MESSAGES * SAMPLES_PER_MESSAGE) / ((performance.now() - started) / 1000));
}
console.log(JSON.stringify({ bench: 'ingest-route', samplesPerMessage: SAMPLES_PER_MESSAGE, samples: MESSAGES * SAMPLES_PER_MESSAGE, samplesPerSecBest: Math.round(Math.max(...rates)), samplesPerSecMedian: Math.round(rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!) }));
