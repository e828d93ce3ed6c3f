/**
 * Shard record codec benchmark: `node --import tsx libs/model/bench/shard-record-bench.ts [--series N] [--samples N]`.
 *
 * One record shaped like ingest's under the pipeline bench (a slot's share of a
 * raw batch: about one sample per series, four labels), encoded and decoded in
 * the binary form with the writer's and reader's series caches warm and cold,
 * beside the JSON form it replaced. Prints one JSON object: µs per sample of
 * each, and the bytes of each form. Single-threaded, in-process, no I/O.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ShardRecordDecoder, decodeShardRecord, encodeSeriesBlock, encodeShardRecord, encodeWithSeriesBlocks, type ShardRecord, type ShardSample } from '../src/index.ts';

const { values } = parseArgs({ options: { series: { type: 'string', default: '150' }, samples: { type: 'string', default: '160' }, rounds: { type: 'string', default: '3000' } } });
const SERIES = Number(values.series);
const SAMPLES = Number(values.samples);
const ROUNDS = Number(values.rounds);
const WARMUP_ROUNDS = 300;

// A fixed generator (no Math.random): every run measures the same bytes.
let state = 42;
const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const series = Array.from({ length: SERIES }, (_, i) => ({
  id: i.toString(16).padStart(16, '0'),
  name: `metric_${i % 20}`,
  labels: { host: `host-${i}`, region: 'eu-west-1', job: 'node', instance: `10.0.0.${i % 256}:9100` },
}));
const samples: ShardSample[] = Array.from({ length: SAMPLES }, (_, i) => [i % SERIES, next() * 1000, 1_764_600_000_000 + Math.floor(next() * 10_000), 5000 + Math.floor(i / 2)]);
const record: ShardRecord = { v: 2, rp: 3, rt: 1_764_600_010_000, series, samples };

function usPerSample(run: () => unknown): number {
  for (let i = 0; i < WARMUP_ROUNDS; i++) run();
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) run();
  return Math.round((((performance.now() - start) * 1000) / (ROUNDS * SAMPLES)) * 1000) / 1000;
}

const blocks = series.map(encodeSeriesBlock);
const binary = encodeShardRecord(record);
const json = Buffer.from(JSON.stringify(record));
const warm = new ShardRecordDecoder();
const result = {
  series: SERIES,
  samples: SAMPLES,
  binaryBytes: binary.length,
  jsonBytes: json.length,
  encodeBinaryCachedUs: usPerSample(() => encodeWithSeriesBlocks(record, blocks)),
  encodeBinaryUs: usPerSample(() => encodeShardRecord(record)),
  encodeJsonUs: usPerSample(() => Buffer.from(JSON.stringify(record))),
  decodeBinaryCachedUs: usPerSample(() => warm.decode(binary)),
  decodeBinaryUs: usPerSample(() => decodeShardRecord(binary)),
  decodeJsonUs: usPerSample(() => decodeShardRecord(json)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
