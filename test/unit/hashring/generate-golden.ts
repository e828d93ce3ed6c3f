/**
 * Writes golden.json: a fixed epoch history and, for fixed series, the
 * canonical key, series id and owner. Run once (`npx tsx
 * test/unit/hashring/generate-golden.ts`) when the golden file is created on
 * purpose; golden.test.ts only ever checks it. Regenerating it means every
 * deployed process would route series differently: a breaking change.
 */
import { writeFileSync } from 'node:fs';
import xxhash from 'xxhash-wasm';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex, SlotRing, type RingChange } from '@ringtail/hashring';

const GOLDEN_PATH = new URL('./golden.json', import.meta.url);
const SERIES_COUNT = 300;

/** Joins of shard-0..shard-11, a weighted join, then leaves from the middle and the front and a rejoin. */
export const goldenHistory: RingChange[] = [
  ...Array.from({ length: 12 }, (_, i): RingChange => ({ op: 'join', worker: `shard-${i}` })),
  { op: 'join', worker: 'big-0', weight: 3 },
  { op: 'leave', worker: 'shard-5' },
  { op: 'leave', worker: 'shard-0' },
  { op: 'join', worker: 'shard-12' },
  { op: 'leave', worker: 'shard-11' },
  { op: 'join', worker: 'shard-5' },
];

/** Deterministic series: a mix of plain, many-label and escape-heavy ones. */
export function goldenSeries(): { name: string; labels: Record<string, string> }[] {
  return Array.from({ length: SERIES_COUNT }, (_, i) => {
    const labels: Record<string, string> = { zone: `z${i % 3}`, instance: `10.0.${i % 7}.${i}:9100`, job: `job-${i % 11}` };
    if (i % 5 === 0) labels.path = `/api/"v${i}"\\n\n`;
    if (i % 13 === 0) labels['émoji'] = '😀';
    return { name: i % 4 === 0 ? 'http_requests_total' : `metric_${i % 9}:rate5m`, labels };
  });
}

async function main(): Promise<void> {
  const api = await xxhash();
  const hasher = createSeriesHasher(api);
  const ring = SlotRing.fromHistory(goldenHistory);
  const series = goldenSeries().map(({ name, labels }) => {
    const key = canonicalSeriesKey(name, labels);
    const h = hasher.hash(key);
    return { name, labels, key, id: seriesIdHex(h), owner: ring.ownerOf(h) };
  });
  writeFileSync(GOLDEN_PATH, JSON.stringify({ history: goldenHistory, members: ring.members(), tableH64: api.h64ToString(ring.snapshot().table), series }, null, 1) + '\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) await main();
