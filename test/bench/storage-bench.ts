/**
 * Storage benchmark: `npm run bench:storage -- [--json] [--series N] [--random-series N] [--days-1m N] [--days-1h N]`.
 *
 * On the local stack's Redis, with simulated time (timestamps ending now, a
 * 10 s scrape interval): samples shaped like node_exporter's — counters with
 * occasional resets (integer and centisecond), gauges drifting as random walks
 * (integer and full-precision), constants — go through the real write path
 * (WindowAggregator + RedisWindowSink + flush-2.lua) one resolution at a time,
 * twice: once left as hashes (the uncompacted layout: one hash per window, plus
 * the hot-window index, measured apart), once with the real compactor
 * (close-1.lua + compact-2.lua) moving closed windows into blocks as simulated
 * time passes, as a worker's compactor does. Redis `used_memory_dataset` is
 * read before and after each. A random-valued share (uniform random doubles)
 * is measured the same way and reported apart.
 *
 * Steady-state figures per series at the default retention
 * (`10s:6h,1m:7d,1h:90d`) are built from the per-window costs: closed windows
 * at block cost, the windows still open (step + lateness) at hash cost, plus the
 * series' description and index entries. Prints one JSON object with --json.
 * Not a test: it measures.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { prng } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, latenessMs, redisKeys, slotOfSeriesId, windowStartMs, type RedisKeys, type Resolution, type ShardRecord, type ShardSeries } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { loadStackSettings, stackUp } from '@ringtail/stack';
import { RedisWindowSink } from '../../services/shard/src/redis-window-sink.ts';
import { WindowAggregator } from '../../services/shard/src/window-aggregator.ts';
import { RedisWindowCompactor } from '../../services/shard/src/window-compactor.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    series: { type: 'string', default: '100' },
    'random-series': { type: 'string', default: '20' },
    'days-1m': { type: 'string', default: '1' },
    'days-1h': { type: 'string', default: '4' },
    seed: { type: 'string', default: '17' },
  },
});
const say = (line: string) => values.json || process.stderr.write(`${line}\n`);
const SLOTS = 4;
const SCRAPE_MS = 10_000;
// Small flushes: one script call must stay far below the command timeout and Sentinel's down-after.
const FLUSH_SAMPLES = 10_000;
// Compaction keeps up every 60 windows of simulated time (10 min of 10s windows, 1 h of 1m, 60 h of 1h).
const COMPACT_EVERY_STEPS = 60;
const GB = 1024 ** 3;

type Shape = 'counter_int' | 'counter_cs' | 'gauge_int' | 'gauge_float' | 'constant' | 'random';
const REALISTIC: readonly Shape[] = ['counter_int', 'counter_int', 'counter_cs', 'counter_cs', 'gauge_int', 'gauge_float', 'gauge_int', 'constant', 'constant', 'constant'];

/** One series' value process, advanced once per scrape. */
function valueProcess(shape: Shape, random: () => number): () => number {
  let v = Math.floor(random() * 1e9);
  switch (shape) {
    case 'counter_int':
      return () => (v = random() < 1e-4 ? 0 : v + Math.floor(random() * 50_000));
    case 'counter_cs':
      v = Math.round(random() * 1e6) / 100;
      return () => (v = random() < 1e-4 ? 0 : Math.round((v + random() * 10) * 100) / 100);
    case 'gauge_int':
      return () => (v = Math.max(0, v + 4096 * Math.round((random() - 0.5) * 200)));
    case 'gauge_float':
      v = random() * 100;
      return () => (v += (random() - 0.5) * 0.5);
    case 'constant':
      return () => 8_000_000_000;
    case 'random':
      return () => random() * 1e6;
  }
}

/**
 * Redis `used_memory_dataset`: used_memory without the server's own overhead
 * (client query/output buffers, replication backlog), which large script calls
 * inflate and shrink lazily, so the deltas measure keys and values only.
 */
async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory_dataset:(\d+)/.exec(info)![1]);
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1]);
}

async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

async function memoryOf(redis: Redis, keys: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const replies = (await redis.pipeline(keys.slice(i, i + 1000).map((k) => ['memory', 'usage', k, 'SAMPLES', '0'])).exec()) ?? [];
    for (const [err, n] of replies) if (!err) total += Number(n ?? 0);
  }
  return total;
}

interface PhaseResult {
  readonly resolution: string;
  readonly windows: number;
  readonly closedWindows: number;
  readonly hotWindowsLeft: number;
  readonly uncompactedBytesPerWindow: number;
  readonly hotIndexBytesPerWindow: number;
  readonly compactedBytesPerWindow: number;
  readonly blockKeyBytesPerWindow: number;
  readonly compaction: { readonly windowsPerSecond: number; readonly benchCpuMsPer1kWindows: number; readonly redisCpuMsPer1kWindows: number; readonly seconds: number };
}

type BenchSeries = { s: ShardSeries; next: () => number; offsetMs: number };

/**
 * Writes `series` over [fromMs, toMs) at resolution `r` alone through the real
 * write path; with `compact`, runs it every COMPACT_EVERY_STEPS windows of
 * simulated time, as a worker's compactor keeps up while samples arrive.
 */
async function writeSpan(redis: Redis, keys: RedisKeys, r: Resolution, series: readonly BenchSeries[], fromMs: number, toMs: number, random: () => number, compact?: (aggregator: WindowAggregator) => Promise<void>): Promise<void> {
  const sink = new RedisWindowSink(redis, { keys, minReplicas: 0, waitTimeoutMs: 1000 });
  const aggregator = new WindowAggregator({ resolutions: [r] });
  for (let slot = 0; slot < SLOTS; slot++) aggregator.loadPartition(slot, new Map());
  let rawOffset = 0;
  let kafkaOffset = 0;
  let compactedAt = fromMs;
  const flush = async () => {
    const batch = aggregator.takeBatch();
    for (const b of batch?.partitions ?? []) await sink.apply(b);
  };
  for (let t = fromMs; t < toMs; t += SCRAPE_MS) {
    const bySlot = new Map<number, [number, number, number, number][]>();
    series.forEach((x, i) => {
      const slot = slotOfSeriesId(x.s.id, SLOTS);
      const list = bySlot.get(slot) ?? [];
      // A regular scrape with a few ms of jitter, as Prometheus timestamps are.
      list.push([i, x.next(), t + x.offsetMs + Math.floor(random() * 20), rawOffset]);
      bySlot.set(slot, list);
    });
    for (const [slot, samples] of bySlot) {
      const record: ShardRecord = { v: 2, rp: 0, rt: t + SCRAPE_MS, series: series.map((x) => x.s), samples };
      aggregator.add(slot, String(kafkaOffset++), record);
    }
    rawOffset++;
    if (aggregator.pendingSamples >= FLUSH_SAMPLES) await flush();
    if (compact !== undefined && t - compactedAt >= COMPACT_EVERY_STEPS * r.stepMs) {
      await flush();
      await compact(aggregator);
      compactedAt = t;
    }
  }
  await flush();
  if (compact !== undefined) await compact(aggregator);
}

async function hotWindowCount(redis: Redis, keys: RedisKeys, r: Resolution): Promise<number> {
  return (await Promise.all(Array.from({ length: SLOTS }, (_, slot) => redis.zcard(keys.hotWindows(slot, r.name))))).reduce((a, b) => a + b, 0);
}

/**
 * Resolution `r` twice, each in a namespace of its own: once as today's layout
 * (every window a hash, nothing compacted), once with the compactor keeping up
 * as it does in a worker; measures memory and compaction cost.
 *
 * Compacting only after everything is written would leave each slot's
 * hot-window index (a sorted set) with the bucket array of its peak size: Redis
 * does not shrink a sorted set's hash table on ZREM, and at ~50,000 members a
 * slot that is about 600 KB kept for 45 members, a cost no worker that keeps up ever has.
 */
async function phase(redis: Redis, namespaceOf: (r: Resolution, layout: string) => string, r: Resolution, series: readonly BenchSeries[], fromMs: number, toMs: number, random: () => number): Promise<PhaseResult> {
  const flatKeys = redisKeys(namespaceOf(r, 'hashes'), SLOTS);
  const memStart = await usedMemory(redis);
  await writeSpan(redis, flatKeys, r, series, fromMs, toMs, random);
  const memWritten = await usedMemory(redis);
  const windows = await hotWindowCount(redis, flatKeys, r);
  const hotIndexBytes = await memoryOf(redis, Array.from({ length: SLOTS }, (_, slot) => flatKeys.hotWindows(slot, r.name)));
  const hotBytesPerWindow = (memWritten - memStart) / windows;
  await deleteMatching(redis, `{rt:${namespaceOf(r, 'hashes')}[}:]*`);

  const keys = redisKeys(namespaceOf(r, 'blocks'), SLOTS);
  const compactor = new RedisWindowCompactor(redis, { keys, resolutions: [r], maxWindowsPerPass: 50_000 });
  let seconds = 0;
  let redisCpu = 0;
  let benchCpuUs = 0;
  let closedWindows = 0;
  const compact = async (aggregator: WindowAggregator) => {
    const cpu0 = process.cpuUsage();
    const redisCpu0 = await redisCpuSeconds(redis);
    const t0 = performance.now();
    for (let slot = 0; slot < SLOTS; slot++) {
      const ct = await compactor.close(slot, aggregator.oldestPendingStarts(slot));
      aggregator.closeThrough(slot, ct);
      for (let moved = (await compactor.move(slot, ct)).windows; moved > 0; moved = (await compactor.move(slot, ct)).windows) closedWindows += moved;
    }
    seconds += (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    benchCpuUs += cpu.user + cpu.system;
    redisCpu += (await redisCpuSeconds(redis)) - redisCpu0;
  };
  const memBefore = await usedMemory(redis);
  await writeSpan(redis, keys, r, series, fromMs, toMs, random, compact);
  const memCompacted = await usedMemory(redis);
  const hotLeft = await hotWindowCount(redis, keys, r);
  // Cross-check of used_memory: what Redis reports for the block keys themselves (value, key, dict entry).
  const blockBytes = await memoryOf(redis, await keysMatching(redis, `{rt:${keys.prefix.slice(4, -2)}:*}:b:*`));
  return {
    resolution: r.name,
    windows,
    closedWindows,
    hotWindowsLeft: hotLeft,
    blockKeyBytesPerWindow: round(blockBytes / closedWindows),
    uncompactedBytesPerWindow: round(hotBytesPerWindow - hotIndexBytes / windows),
    hotIndexBytesPerWindow: round(hotIndexBytes / windows),
    // What the compacted layout holds, minus the windows still open (at their hash cost), over the windows it closed.
    compactedBytesPerWindow: round((memCompacted - memBefore - hotLeft * hotBytesPerWindow) / closedWindows),
    compaction: {
      windowsPerSecond: Math.round(closedWindows / seconds),
      benchCpuMsPer1kWindows: round(benchCpuUs / 1000 / (closedWindows / 1000)),
      redisCpuMsPer1kWindows: round((redisCpu * 1000) / (closedWindows / 1000)),
      seconds: round(seconds),
    },
  };
}

async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  const stale = await keysMatching(redis, pattern);
  for (let i = 0; i < stale.length; i += 500) await redis.del(...stale.slice(i, i + 500));
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Steady-state bytes of one series at `resolutions`' retention, from per-window costs. */
function perSeriesBytes(results: readonly PhaseResult[], resolutions: readonly Resolution[], perWindow: (p: PhaseResult) => number, hotOnlyLayout: boolean, seriesOverheadBytes: number): number {
  let total = seriesOverheadBytes;
  for (const r of resolutions) {
    const p = results.find((x) => x.resolution === r.name)!;
    const kept = r.retentionMs / r.stepMs;
    const hot = hotOnlyLayout ? kept : Math.min(kept, Math.ceil((r.stepMs + latenessMs(r)) / r.stepMs) + 1);
    const hotCost = p.uncompactedBytesPerWindow + (hotOnlyLayout ? 0 : p.hotIndexBytesPerWindow);
    total += hot * hotCost + (kept - hot) * perWindow(p);
  }
  return Math.round(total);
}

async function main(): Promise<void> {
  const { endpoints } = await stackUp(loadStackSettings(process.env));
  const redis = createSentinelClient({ sentinels: endpoints.sentinels, masterName: endpoints.sentinelMasterName }, 'storage-bench', 60_000);
  const random = prng(Number(values.seed));
  const nowMs = windowStartMs(Date.now(), 3_600_000);
  const spans: Record<string, number> = {
    // Only what retention keeps: anything older would expire as it is written.
    '10s': DEFAULT_RESOLUTIONS[0]!.retentionMs - 10 * 60_000,
    '1m': Number(values['days-1m']) * 86_400_000,
    '1h': Number(values['days-1h']) * 86_400_000,
  };
  const run = async (label: string, count: number, shapes: readonly Shape[]) => {
    const base = `bench-storage-${label}-${Date.now().toString(36)}`;
    // One namespace per resolution and layout: each starts from empty watermarks.
    const namespaceOf = (r: Resolution, layout: string) => `${base}-${r.name}-${layout}.`;
    const series = Array.from({ length: count }, (_, i) => {
      const shape = shapes[i % shapes.length]!;
      return {
        s: { id: (0x5000_0000 + i * 7919).toString(16).padStart(16, '0'), name: `node_${shape}`, labels: { instance: `host-${i % 50}:9100`, job: 'node', i: String(i) } },
        next: valueProcess(shape, random),
        offsetMs: Math.floor(random() * SCRAPE_MS),
      };
    });
    const results: PhaseResult[] = [];
    for (const r of DEFAULT_RESOLUTIONS) {
      say(`${label}: ${r.name} over ${spans[r.name]! / 3_600_000} h of ${count} series`);
      results.push(await phase(redis, namespaceOf, r, series, nowMs - spans[r.name]!, nowMs, random));
    }
    const described = await keysMatching(redis, `{rt:${namespaceOf(DEFAULT_RESOLUTIONS[0]!, 'blocks')}}:*`);
    const seriesOverheadBytes = Math.round((await memoryOf(redis, described)) / count);
    for (const r of DEFAULT_RESOLUTIONS) await deleteMatching(redis, `{rt:${namespaceOf(r, 'blocks')}[}:]*`);
    return { results, seriesOverheadBytes };
  };

  const realistic = await run('realistic', Number(values.series), REALISTIC);
  const randomShare = await run('random', Number(values['random-series']), ['random']);
  const summarize = (x: Awaited<ReturnType<typeof run>>) => {
    const compacted = perSeriesBytes(x.results, DEFAULT_RESOLUTIONS, (p) => p.compactedBytesPerWindow, false, x.seriesOverheadBytes);
    const uncompacted = perSeriesBytes(x.results, DEFAULT_RESOLUTIONS, (p) => p.uncompactedBytesPerWindow, true, x.seriesOverheadBytes);
    const closed = x.results.reduce((n, p) => n + p.closedWindows, 0);
    return {
      compacted: {
        bytesPerWindow: Object.fromEntries(x.results.map((p) => [p.resolution, p.compactedBytesPerWindow])),
        bytesPerWindowAverage: round(x.results.reduce((n, p) => n + p.compactedBytesPerWindow * p.closedWindows, 0) / closed),
        bytesPerSeriesAtDefaultRetention: compacted,
        seriesPerGb: Math.floor(GB / compacted),
      },
      uncompacted: {
        bytesPerWindow: Object.fromEntries(x.results.map((p) => [p.resolution, p.uncompactedBytesPerWindow])),
        bytesPerSeriesAtDefaultRetention: uncompacted,
        seriesPerGb: Math.floor(GB / uncompacted),
      },
      hotIndexBytesPerWindow: Object.fromEntries(x.results.map((p) => [p.resolution, p.hotIndexBytesPerWindow])),
      blockKeyBytesPerWindow: Object.fromEntries(x.results.map((p) => [p.resolution, p.blockKeyBytesPerWindow])),
      seriesOverheadBytes: x.seriesOverheadBytes,
      compaction: Object.fromEntries(x.results.map((p) => [p.resolution, p.compaction])),
      phases: x.results.map((p) => ({ resolution: p.resolution, windows: p.windows, closedWindows: p.closedWindows, hotWindowsLeft: p.hotWindowsLeft })),
    };
  };
  const out = {
    bench: 'storage',
    simulated: { series: Number(values.series), randomSeries: Number(values['random-series']), scrapeIntervalMs: SCRAPE_MS, spanHours: Object.fromEntries(Object.entries(spans).map(([k, v]) => [k, v / 3_600_000])) },
    targets: { bytesPerClosedWindow: 24, seriesPerGb: 2500 },
    realistic: summarize(realistic),
    random: summarize(randomShare),
    machine: { cpus: cpus().length, loadavg: loadavg().map(round) },
  };
  redis.disconnect();
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
