import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESOLUTIONS,
  addSample,
  cloneWindow,
  mergeWindow,
  readingOf,
  windowExpiresAtMs,
  windowHeldUntilMs,
  windowOfSample,
  windowStartMs,
  windowValues,
  type ShardRecord,
  type ShardSeries,
  type WindowAggregate,
} from '@ringtail/model';
import { NO_WATERMARK } from '../../../services/shard/src/watermarks.ts';
import { PartitionNotLoadedError, WindowAggregator } from '../../../services/shard/src/window-aggregator.ts';
import { FakeWindowSink, windowKey } from './fake-window-sink.ts';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('shard/window-aggregator');
const RUNS = { seed: SEED, numRuns: 200 };

const SERIES: ShardSeries[] = [
  { id: '00000000000000a1', name: 'cpu', labels: { host: 'a' } },
  { id: '00000000000000b2', name: 'cpu', labels: { host: 'b' } },
  { id: '00000000000000c3', name: 'mem', labels: {} },
];
const T0 = 1_700_000_000_000;

/** One raw message: its samples [series index, value, ts]. */
type RawMessage = readonly (readonly [number, number, number])[];

const value = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
const rawMessage: fc.Arbitrary<RawMessage> = fc.array(
  fc.tuple(fc.integer({ min: 0, max: SERIES.length - 1 }), value, fc.integer({ min: T0, max: T0 + 3 * 3_600_000 })),
  { minLength: 1, maxLength: 3 },
);

/** Records as ingest would send them for one raw partition: whole messages per record, with replays going back. */
function deliveries(rp: number, messages: readonly RawMessage[], cuts: readonly number[], replays: readonly number[]): ShardRecord[] {
  const records: ShardRecord[] = [];
  const send = (from: number, to: number) => {
    if (from >= to) return;
    const samples = [];
    for (let o = from; o < to; o++) for (const [s, v, ts] of messages[o]!) samples.push([s, v, ts, o] as const);
    records.push({ v: 2, rp, series: SERIES, samples });
  };
  let pos = 0;
  cuts.forEach((size, i) => {
    const end = Math.min(messages.length, pos + size);
    send(pos, end);
    pos = end;
    // A crash of ingest: it resumes from an earlier committed raw offset and re-sends.
    const back = replays[i] ?? 0;
    if (back > 0) pos = Math.max(0, pos - back);
  });
  send(pos, messages.length);
  return records;
}

/** The expected windows: every message counted once, in one pass. */
function onePass(rpMessages: readonly (readonly RawMessage[])[]): Map<string, WindowAggregate> {
  const out = new Map<string, WindowAggregate>();
  for (const messages of rpMessages) {
    for (const m of messages) {
      for (const [s, v, ts] of m) {
        for (const r of DEFAULT_RESOLUTIONS) {
          const k = windowKey(SERIES[s]!.id, r.name, windowStartMs(ts, r.stepMs));
          const w = out.get(k);
          if (w) addSample(w, v, ts);
          else out.set(k, windowOfSample(v, ts));
        }
      }
    }
  }
  return out;
}

function visible(windows: Map<string, WindowAggregate>) {
  return new Map([...windows].map(([k, w]) => [k, windowValues(0, readingOf(w))]));
}

const partitionStream = fc.record({
  messages: fc.array(rawMessage, { minLength: 1, maxLength: 30 }),
  cuts: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 12 }),
  replays: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 12 }),
});

/** The advances of both classes' watermarks of `rawPartition`, as a batch carrying every resolution holds them. */
function bothClasses(rawPartition: number, expected: number, next: number) {
  return [
    { rawPartition, expected, next },
    { rawPartition, coarse: true, expected, next },
  ];
}

describe('WindowAggregator', () => {
  it('gives the one-pass windows for any batching, interleaving, flush points and replays', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(partitionStream, { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { maxLength: 80 }), fc.infiniteStream(fc.nat()), async (streams, flushAfter, picks) => {
        const queues = streams.map((s, rp) => deliveries(rp, s.messages, s.cuts, s.replays));
        const sink = new FakeWindowSink();
        const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
        agg.loadPartition(0, new Map());
        let kafkaOffset = 0;
        let step = 0;
        const pick = picks[Symbol.iterator]();
        // Interleave the raw partitions' records into one shard partition, each in its own order.
        while (queues.some((q) => q.length > 0)) {
          const live = queues.filter((q) => q.length > 0);
          const q = live[pick.next().value! % live.length]!;
          agg.add(0, String(kafkaOffset++), q.shift()!);
          if (flushAfter[step++ % Math.max(1, flushAfter.length)]) {
            const batch = agg.takeBatch();
            for (const b of batch?.partitions ?? []) await sink.apply(b);
          }
        }
        for (const b of agg.takeBatch()?.partitions ?? []) await sink.apply(b);
        expect(visible(sink.windows)).toEqual(visible(onePass(streams.map((s) => s.messages))));
      }),
      RUNS,
    );
  });

  it('gives the one-pass windows with the coarse resolutions on their own cadence, through crashes that lose what is in memory', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(partitionStream, { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom('add', 'flush', 'crash', 'tick'), { minLength: 1, maxLength: 120 }),
        fc.infiniteStream(fc.nat()),
        async (streams, steps, picks) => {
          const queues = streams.map((s, rp) => deliveries(rp, s.messages, s.cuts, s.replays));
          const sink = new FakeWindowSink();
          const newAggregator = () => new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS, coarseFlushIntervalMs: 1000 });
          let agg = newAggregator();
          agg.loadPartition(0, new Map());
          /** The shard partition as Kafka holds it: record i at offset i. */
          const log: ShardRecord[] = [];
          let nowMs = 0;
          const pick = picks[Symbol.iterator]();
          const produce = () => {
            const live = queues.filter((q) => q.length > 0);
            if (live.length === 0) return;
            const record = live[pick.next().value! % live.length]!.shift()!;
            log.push(record);
            agg.add(0, String(log.length - 1), record);
          };
          for (const step of steps) {
            if (step === 'add') produce();
            else if (step === 'tick') nowMs += 400;
            else if (step === 'flush') for (const b of agg.takeBatch(nowMs)?.partitions ?? []) await sink.apply(b);
            else {
              // What a new owner does: load the slot, re-read the shard partition from its resume offset.
              const stored = await sink.readSlot(0);
              agg = newAggregator();
              agg.loadPartition(0, stored.watermarks, stored.resumeOffset === null ? null : BigInt(stored.resumeOffset), stored.closedThrough, stored.coarseWatermarks);
              for (let o = Number(stored.resumeOffset ?? 0); o < log.length; o++) agg.add(0, String(o), log[o]!);
            }
          }
          while (queues.some((q) => q.length > 0)) produce();
          for (const b of agg.takeBatch(nowMs, true)?.partitions ?? []) await sink.apply(b);
          expect(agg.hasCoarsePending).toBe(false);
          expect(visible(sink.windows)).toEqual(visible(onePass(streams.map((s) => s.messages))));
        },
      ),
      RUNS,
    );
  });

  it('carries the coarse resolutions once per interval, committing only what every resolution holds', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS, coarseFlushIntervalMs: 1000 });
    agg.loadPartition(0, new Map());
    const rec = (o: number): ShardRecord => ({ v: 2, rp: 0, series: SERIES, samples: [[0, o, T0, o]] });
    const resolutionsOf = (b: { windows: readonly { resolution: { name: string } }[] }) => [...new Set(b.windows.map((w) => w.resolution.name))].sort();
    agg.add(0, '0', rec(0));
    // A partition's first batch carries every resolution: later batches commit what it covered.
    const first = agg.takeBatch(0)!.partitions[0]!;
    expect(resolutionsOf(first)).toEqual(['10s', '1h', '1m']);
    expect(first).toMatchObject({ watermarks: bothClasses(0, -1, 0), firstKafkaOffset: '0', commitKafkaOffset: '1' });
    agg.add(0, '1', rec(1));
    agg.add(0, '2', rec(2));
    const fineOnly = agg.takeBatch(1)!.partitions[0]!;
    expect(resolutionsOf(fineOnly)).toEqual(['10s']);
    expect(fineOnly).toMatchObject({ watermarks: [{ rawPartition: 0, expected: 0, next: 2 }], firstKafkaOffset: '1', commitKafkaOffset: '1' });
    expect(fineOnly.windows[0]!.window.count).toBe(2);
    expect(agg.hasPending).toBe(false);
    expect(agg.hasCoarsePending).toBe(true);
    expect(agg.pendingSamples).toBe(2);
    expect(agg.coarseDue(1)).toBe(false);
    expect(agg.takeBatch(1)).toBeNull();
    // The next period: a batch of the coarse resolutions alone, with everything since the first batch.
    expect(agg.coarseDue(1000)).toBe(true);
    const coarse = agg.takeBatch(1000)!.partitions[0]!;
    expect(resolutionsOf(coarse)).toEqual(['1h', '1m']);
    expect(coarse.windows.map((w) => w.window.count)).toEqual([2, 2]);
    expect(coarse).toMatchObject({ watermarks: [{ rawPartition: 0, coarse: true, expected: 0, next: 2 }], firstKafkaOffset: '1', commitKafkaOffset: '3' });
    expect(agg.hasCoarsePending).toBe(false);
    expect(agg.pendingSamples).toBe(0);
    // `all` takes them whether due or not (shutdown, FLUSH_MAX_SAMPLES).
    agg.add(0, '3', rec(3));
    expect(resolutionsOf(agg.takeBatch(1001, true)!.partitions[0]!)).toEqual(['10s', '1h', '1m']);
  });

  it('folds a record re-read past the finest watermark into the coarse resolutions only', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS, coarseFlushIntervalMs: 1000 });
    agg.loadPartition(0, new Map([[0, 5]]), 10n, new Map(), new Map([[0, 3]]));
    const r = agg.add(0, '10', { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0, 3], [0, 2, T0, 4], [0, 3, T0, 5], [0, 4, T0, 6]] });
    // Applied once, when new to the finest: the re-read ones only catch the coarse resolutions up.
    expect(r).toEqual({ applied: 1, skipped: 1, coarseCatchUp: 2, invalid: 0, late: 0, closed: [0, 0, 0] });
    const b = agg.takeBatch(0)!.partitions[0]!;
    const counts = Object.fromEntries(b.windows.map((w) => [w.resolution.name, w.window.count]));
    // Raw offsets 4 and 5 are in the finest already; 6 is new to both.
    expect(counts).toEqual({ '10s': 1, '1m': 3, '1h': 3 });
    expect(b.watermarks).toEqual([
      { rawPartition: 0, expected: 5, next: 6 },
      { rawPartition: 0, coarse: true, expected: 3, next: 6 },
    ]);
  });

  it('spreads the coarse flushes of different partitions over the interval', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS, coarseFlushIntervalMs: 1000 });
    const slots = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const slot of slots) agg.loadPartition(slot, new Map());
    const feed = (o: number) => {
      for (const slot of slots) agg.add(slot, String(o), { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0, o]] });
    };
    feed(0);
    agg.takeBatch(0);
    const coarseAt: number[] = [];
    for (let t = 100; t <= 1000; t += 100) {
      feed(t);
      for (const b of agg.takeBatch(t)?.partitions ?? []) if (b.windows.some((w) => w.resolution.name !== '10s')) coarseAt.push(t);
    }
    // Each slot once in the period, at more than two distinct times.
    expect(coarseAt).toHaveLength(slots.length);
    expect(new Set(coarseAt).size).toBeGreaterThan(2);
  });

  it('merges windows to the same result in any order and grouping', () => {
    const sample = fc.tuple(value, fc.integer({ min: T0, max: T0 + 100 }));
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: 1 }), (samples, splits) => {
        const whole = windowOfSample(samples[0]![0], samples[0]![1]);
        for (const [v, ts] of samples.slice(1)) addSample(whole, v, ts);
        // Split into groups, aggregate each, then merge the groups in reverse.
        const groups: WindowAggregate[] = [];
        let i = 0;
        for (const s of splits) {
          if (i >= samples.length) break;
          const n = 1 + (s % 5);
          const part = samples.slice(i, i + n).reverse();
          const w = windowOfSample(part[0]![0], part[0]![1]);
          for (const [v, ts] of part.slice(1)) addSample(w, v, ts);
          groups.push(w);
          i += n;
        }
        for (const [v, ts] of samples.slice(i)) groups.push(windowOfSample(v, ts));
        const merged = cloneWindow(groups.pop()!);
        for (const g of groups.reverse()) mergeWindow(merged, g);
        expect(windowValues(0, readingOf(merged))).toEqual(windowValues(0, readingOf(whole)));
      }),
      RUNS,
    );
  });

  it('skips samples at or below the loaded watermark and keeps the rest', () => {
    fc.assert(
      fc.property(fc.array(rawMessage, { minLength: 1, maxLength: 20 }), fc.integer({ min: -1, max: 25 }), (messages, watermark) => {
        const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
        agg.loadPartition(3, new Map([[7, watermark]]));
        const [record] = deliveries(7, messages, [messages.length], []);
        const result = agg.add(3, '0', record!);
        const expectedSkipped = messages.slice(0, watermark + 1).reduce((n, m) => n + m.length, 0);
        expect(result.skipped).toBe(expectedSkipped);
        expect(result.applied).toBe(record!.samples.length - expectedSkipped);
        const batch = agg.takeBatch()!;
        const advanced = messages.length - 1 > watermark;
        expect(batch.partitions[0]!.watermarks).toEqual(
          advanced ? bothClasses(7, watermark, messages.length - 1) : [],
        );
      }),
      RUNS,
    );
  });

  it('keeps samples sharing the raw offset of the record being read', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    const r = agg.add(0, '0', { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0, 5], [1, 2, T0, 5], [2, 3, T0, 6]] });
    expect(r).toEqual({ applied: 3, skipped: 0, coarseCatchUp: 0, invalid: 0, late: 0, closed: [0, 0, 0] });
    const again = agg.add(0, '1', { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0, 5], [1, 2, T0, 6], [2, 3, T0, 7]] });
    expect(again).toEqual({ applied: 1, skipped: 2, coarseCatchUp: 0, invalid: 0, late: 0, closed: [0, 0, 0] });
  });

  it('chains watermark expectations across batches and commits past the last record', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(2, new Map([[1, 9]]));
    agg.add(2, '40', { v: 2, rp: 1, series: SERIES, samples: [[0, 1, T0, 10]] });
    const first = agg.takeBatch()!.partitions[0]!;
    expect(first).toMatchObject({ watermarks: bothClasses(1, 9, 10), firstKafkaOffset: '40', commitKafkaOffset: '41' });
    agg.add(2, '41', { v: 2, rp: 1, series: SERIES, samples: [[0, 1, T0, 12]] });
    expect(agg.takeBatch()!.partitions[0]!.watermarks).toEqual(bothClasses(1, 10, 12));
    expect(agg.takeBatch()).toBeNull();
  });

  it('lists a series as new until it is marked indexed', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    const rec = (o: number): ShardRecord => ({ v: 2, rp: 0, series: SERIES, samples: [[1, 1, T0, o]] });
    agg.add(0, '0', rec(0));
    const b1 = agg.takeBatch()!.partitions[0]!;
    expect(b1.newSeries.map((s) => s.id)).toEqual([SERIES[1]!.id]);
    agg.add(0, '1', rec(1));
    expect(agg.takeBatch()!.partitions[0]!.newSeries).toHaveLength(1);
    agg.markIndexed(b1.newSeries);
    agg.add(0, '2', rec(2));
    expect(agg.takeBatch()!.partitions[0]!.newSeries).toEqual([]);
  });

  it('indexes a series until its latest window\'s block expires, and again once a later window needs longer', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    const heldUntil = (ts: number) => Math.max(...DEFAULT_RESOLUTIONS.map((r) => windowHeldUntilMs(windowStartMs(ts, r.stepMs), r)));
    agg.add(0, '0', { v: 2, rp: 0, series: SERIES, samples: [[1, 1, T0, 0], [1, 2, T0 + 5_000, 1]] });
    const first = agg.takeBatch()!.partitions[0]!.newSeries;
    expect(first).toEqual([{ ...SERIES[1]!, indexedUntilMs: heldUntil(T0 + 5_000) }]);
    // A block outlives each of its windows: the index keeps the series as long as the block.
    const longest = DEFAULT_RESOLUTIONS.at(-1)!;
    expect(first[0]!.indexedUntilMs).toBeGreaterThanOrEqual(windowExpiresAtMs(windowStartMs(T0 + 5_000, longest.stepMs), longest));
    agg.markIndexed(first);
    // Same windows again: nothing to extend.
    agg.add(0, '1', { v: 2, rp: 0, series: SERIES, samples: [[1, 3, T0, 2]] });
    expect(agg.takeBatch()!.partitions[0]!.newSeries).toEqual([]);
    // A window of the longest resolution beyond the block: the expiry must grow.
    const later = T0 + longest.stepMs * 10_000;
    agg.add(0, '2', { v: 2, rp: 0, series: SERIES, samples: [[1, 4, later, 3]] });
    expect(agg.takeBatch()!.partitions[0]!.newSeries).toEqual([{ ...SERIES[1]!, indexedUntilMs: heldUntil(later) }]);
  });

  it('counts non-finite values and unknown series as invalid', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    const r = agg.add(0, '0', { v: 2, rp: 0, series: SERIES, samples: [[0, Number.NaN, T0, 1], [9, 1, T0, 2], [0, 1, T0, 3]] });
    expect(r).toEqual({ applied: 1, skipped: 0, coarseCatchUp: 0, invalid: 2, late: 0, closed: [0, 0, 0] });
  });

  it('refuses records of a partition whose watermarks were not loaded', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    expect(() => agg.add(1, '0', { v: 2, rp: 0, series: SERIES, samples: [] })).toThrow(PartitionNotLoadedError);
    expect(NO_WATERMARK).toBe(-1);
  });

  it('leaves out of each sample the resolutions its expired mask names, and only those', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    // Bit 0: the 10s window is past retention; bits 0 and 1: the 10s and 1m windows.
    const r = agg.add(0, '0', { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0, 1, 1], [1, 2, T0, 2, 3], [2, 3, T0, 3]] });
    expect(r).toEqual({ applied: 3, skipped: 0, coarseCatchUp: 0, invalid: 0, late: 0, closed: [0, 0, 0] });
    const windows = agg.takeBatch()!.partitions[0]!.windows.map((w) => `${w.seriesId}/${w.resolution.name}`).sort();
    expect(windows).toEqual([`${SERIES[0]!.id}/1h`, `${SERIES[0]!.id}/1m`, `${SERIES[1]!.id}/1h`, `${SERIES[2]!.id}/10s`, `${SERIES[2]!.id}/1h`, `${SERIES[2]!.id}/1m`].sort());
  });

  it('sends a sample whose window is closed in every resolution to the late list, and counts partial closures', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    const hour = windowStartMs(T0, 3_600_000);
    // 10s and 1m closed through T0's hour start + 1 h; 1h closed through the hour start: T0's 1h window is open.
    agg.loadPartition(0, new Map(), null, new Map([['10s', hour + 3_600_000], ['1m', hour + 3_600_000], ['1h', hour]]));
    const r = agg.add(0, '0', { v: 2, rp: 4, rt: T0 + 5, series: SERIES, samples: [[0, 1, T0, 7]] });
    expect(r).toEqual({ applied: 1, skipped: 0, coarseCatchUp: 0, invalid: 0, late: 0, closed: [1, 1, 0] });
    agg.closeThrough(0, new Map([['1h', hour + 3_600_000]]));
    const late = agg.add(0, '1', { v: 2, rp: 4, series: SERIES, samples: [[1, 2, T0 + 1, 8]] });
    expect(late).toEqual({ applied: 0, skipped: 0, coarseCatchUp: 0, invalid: 0, late: 1, closed: [1, 1, 1] });
    const b = agg.takeBatch()!.partitions[0]!;
    expect(b.late).toEqual([{ rawPartition: 4, rawOffset: 8, series: SERIES[1], value: 2, timestampMs: T0 + 1, reason: expect.stringMatching(/closed in every resolution.*MAX_SAMPLE_LATENESS/) }]);
    // The late sample's raw offset is covered: a replay skips it rather than sending it to the DLQ again.
    expect(b.watermarks).toEqual(bothClasses(4, -1, 8));
    expect(b.closedThrough).toEqual([
      { resolution: '10s', startMs: hour + 3_600_000 },
      { resolution: '1m', startMs: hour + 3_600_000 },
      { resolution: '1h', startMs: hour + 3_600_000 },
    ]);
    expect(b.clockMs).toBe(T0 + 5);
    expect(b.windows.map((w) => w.resolution.name)).toEqual(['1h']);
  });

  it('names the earliest pending window per resolution, which compaction must not close', () => {
    const agg = new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS });
    agg.loadPartition(0, new Map());
    agg.add(0, '0', { v: 2, rp: 0, series: SERIES, samples: [[0, 1, T0 + 20_000, 1], [1, 1, T0, 2]] });
    expect(agg.oldestPendingStarts(0)).toEqual(
      new Map([['10s', windowStartMs(T0, 10_000)], ['1m', windowStartMs(T0, 60_000)], ['1h', windowStartMs(T0, 3_600_000)]]),
    );
    agg.takeBatch();
    expect(agg.oldestPendingStarts(0)).toEqual(new Map());
  });
});
