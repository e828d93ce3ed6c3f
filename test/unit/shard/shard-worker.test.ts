import { describe, expect, it } from 'vitest';
import { DEFAULT_RESOLUTIONS, encodeShardRecord, type ShardRecord } from '@ringtail/model';
import { MetricsRegistry, createLogger, eventually, metricValue, parseExposition } from '@ringtail/runtime';
import { ReplicationTimeoutError, RedisUnavailableError } from '../../../services/shard/src/errors.ts';
import { createShardMetrics } from '../../../services/shard/src/shard-metrics.ts';
import type { CorruptRecord, LateSampleSink, ShardConsumerPort, WindowCompactor } from '../../../services/shard/src/shard-ports.ts';
import { ShardWorker, type ConsumedMessage } from '../../../services/shard/src/shard-worker.ts';
import type { LateSample } from '../../../services/shard/src/flush-batch.ts';
import { WindowAggregator } from '../../../services/shard/src/window-aggregator.ts';
import { FakeWindowSink } from './fake-window-sink.ts';

const T0 = 1_700_000_000_000;
const SERIES = [{ id: '00000000000000a1', name: 'cpu', labels: { host: 'a' } }];

function record(rp: number, offsets: number[]): ShardRecord {
  return { v: 2, rp, series: SERIES, samples: offsets.map((o) => [0, o, T0 + o, o] as const) };
}

function setup(flushMaxSamples = 1000, compactor?: WindowCompactor, flushLingerMs?: number) {
  const sink = new FakeWindowSink();
  const commits: string[] = [];
  const seeks: string[] = [];
  const consumer: ShardConsumerPort = {
    commit: async (_topic, offsets) => {
      sink.calls.push('commit');
      for (const o of offsets) commits.push(`${o.partition}@${o.offset}`);
    },
    seek: (_topic, partition, offset) => void seeks.push(`${partition}@${offset}`),
  };
  const late: LateSample[] = [];
  const lateSamples: LateSampleSink = {
    reject: async (samples) => {
      sink.calls.push('dlq');
      late.push(...samples);
    },
  };
  const corrupt: CorruptRecord[] = [];
  const registry = new MetricsRegistry();
  const metrics = createShardMetrics(registry);
  // Read back as a scrape would: the exposition, parsed.
  const metric = async (name: string, labels: Record<string, string> = {}) => metricValue(parseExposition(await registry.metrics()), name, labels);
  const worker = new ShardWorker({
    shardTopic: 't',
    aggregator: new WindowAggregator({ resolutions: DEFAULT_RESOLUTIONS }),
    sink,
    lateSamples,
    corruptRecords: {
      reject: async (r) => {
        sink.calls.push('dlq-corrupt');
        corrupt.push(r);
      },
    },
    ...(compactor ? { compactor } : {}),
    consumer,
    metrics,
    log: createLogger('test', 'silent'),
    flushMaxSamples,
    ...(flushLingerMs === undefined ? {} : { flushLingerMs }),
    retry: { initialMs: 1, maxMs: 2 },
    nowMs: () => 0,
    sleep: async () => undefined,
    random: () => 0.5,
  });
  const control = { heartbeat: async () => undefined, isActive: () => true };
  const messages = (first: number, ...records: ShardRecord[]): ConsumedMessage[] =>
    records.map((r, i) => ({ offset: String(first + i), value: encodeShardRecord(r) }));
  return { sink, commits, seeks, metric, worker, control, messages, late, corrupt };
}


/** Runs one flush (whatever its WAIT answers) and waits until it finished. */
async function flushOnce(worker: ShardWorker): Promise<void> {
  worker.requestFlush();
  await worker.idle();
}

describe('ShardWorker', () => {
  it('never lets compaction close a window it still holds unflushed, and adopts the closed-through it got', async () => {
    const caps: Map<string, number>[] = [];
    const compactor: WindowCompactor = {
      close: async (_slot, cap) => {
        caps.push(new Map(cap));
        return new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, cap.get(r.name) ?? T0 + 3_600_000 * 5] as const));
      },
      move: async () => ({ windows: 0, blocks: 0, moved: 0, corrupt: [] }),
    };
    const { worker, control, messages, late, sink } = setup(1000, compactor);
    await worker.handleBatch(0, messages(0, record(0, [1])), control);
    await worker.compact();
    expect(caps[0]).toEqual(new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, Math.floor((T0 + 1) / r.stepMs) * r.stepMs] as const)));
    sink.closedThrough.set('0', new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, Math.floor((T0 + 1) / r.stepMs) * r.stepMs] as const)));
    await flushOnce(worker);
    expect(sink.windows.size).toBe(3);
    // Nothing pending: the next pass closes everything, and a later sample of those windows is late.
    await worker.compact();
    expect(caps[1]).toEqual(new Map());
    sink.closedThrough.set('0', new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, T0 + 3_600_000 * 5] as const)));
    await worker.handleBatch(0, messages(1, record(0, [2])), control);
    await flushOnce(worker);
    expect(late.map((s) => s.rawOffset)).toEqual([2]);
  });

  it('closes the windows of every slot it owns in one round trip, not one slot after another', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    const compactor: WindowCompactor = {
      close: async (slot) => {
        started.push(slot);
        await gate;
        return new Map();
      },
      move: async () => ({ windows: 0, blocks: 0, moved: 0, corrupt: [] }),
    };
    const { worker, control, messages } = setup(1000, compactor);
    await worker.assign([0, 1, 2]);
    await worker.handleBatch(0, messages(0, record(0, [1])), control);
    const pass = worker.compact();
    await eventually('every slot closing', 2000, () => started.length === 3, 1);
    release();
    await pass;
    expect([...started].sort()).toEqual([0, 1, 2]);
  });

  it('writes a sample of a window closed in every resolution to the DLQ before the batch covering it, and re-reads a partition whose closed-through moved', async () => {
    const { sink, seeks, worker, control, messages, late, metric } = setup();
    const closedAll = new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, T0 + 3_600_000 * 2] as const));
    sink.closedThrough.set('0', closedAll);
    await worker.handleBatch(0, messages(0, record(0, [1, 2])), control);
    await flushOnce(worker);
    expect(late.map((s) => s.rawOffset)).toEqual([1, 2]);
    expect(sink.calls.indexOf('dlq')).toBeLessThan(sink.calls.indexOf('apply:0'));
    expect(sink.windows.size).toBe(0);
    expect(sink.watermarks.get('0')).toEqual(new Map([[0, 2]]));
    expect(await metric('ringtail_shard_samples_late_total')).toBe(2);

    // Another owner closes more: the batch judged by the old closed-through is refused and re-read.
    await worker.handleBatch(0, messages(1, record(0, [3])), control);
    sink.closedThrough.set('0', new Map(DEFAULT_RESOLUTIONS.map((r) => [r.name, T0 + 3_600_000 * 3] as const)));
    await flushOnce(worker);
    expect(seeks).toContain('0@1');
    expect(sink.watermarks.get('0')).toEqual(new Map([[0, 2]]));
  });

  it('writes an undecodable record to the DLQ with its reason before the commit that passes it, and goes on with the rest', async () => {
    const { sink, commits, worker, control, messages, corrupt, metric } = setup();
    const good = messages(0, record(0, [1]), record(0, [2]), record(0, [3]));
    const truncated = good[1]!.value!.subarray(0, 20);
    await worker.handleBatch(0, [good[0]!, { offset: '1', value: truncated }, good[2]!], control);
    await worker.flush();
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toMatchObject({ shardTopic: 't', partition: 0, offset: '1' });
    expect(corrupt[0]!.reason).toMatch(/^shard record is corrupt: .+ \(at byte \d+\)$/);
    expect(corrupt[0]!.value.equals(truncated)).toBe(true);
    expect(sink.calls.indexOf('dlq-corrupt')).toBeLessThan(sink.calls.indexOf('commit'));
    expect(commits).toEqual(['0@3']);
    expect(sink.watermarks.get('0')).toEqual(new Map([[0, 3]]));
    expect(await metric('ringtail_shard_records_undecodable_total')).toBe(1);
  });

  it('moves the slot\'s resume offset past a batch of duplicates only, so a restart does not re-read it', async () => {
    const { worker, control, messages, sink } = setup(1000);
    await worker.handleBatch(0, messages(0, record(0, [1, 2])), control);
    await flushOnce(worker);
    expect(sink.resumeOffsets.get('0')).toBe('1');
    // A replay of raw offsets already applied, in a flush of its own.
    await worker.handleBatch(0, messages(1, record(0, [1, 2])), control);
    await flushOnce(worker);
    expect(sink.resumeOffsets.get('0')).toBe('2');
  });

  it('commits offsets only after the flush and WAIT succeeded', async () => {
    const { sink, commits, worker, control, messages } = setup();
    await worker.handleBatch(0, messages(0, record(0, [0, 1]), record(0, [2])), control);
    expect(commits).toEqual([]);
    await worker.flush();
    expect(sink.calls).toEqual(['apply:0', 'wait', 'commit']);
    expect(commits).toEqual(['0@2']);
    expect(sink.watermarks.get('0')).toEqual(new Map([[0, 2]]));
  });

  it('re-applies the same batch after a failed WAIT and commits once it is durable', async () => {
    const { sink, commits, worker, control, messages, metric } = setup();
    sink.failures.awaitReplicas.push(new ReplicationTimeoutError(0, 1, 10));
    sink.failures.apply.push(new RedisUnavailableError('flush', { cause: new Error('down') }));
    await worker.handleBatch(0, messages(7, record(0, [0, 1, 2])), control);
    await worker.flush();
    expect(sink.calls).toEqual(['apply:0', 'apply:0', 'wait', 'apply:0', 'wait', 'commit']);
    expect(commits).toEqual(['0@8']);
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([3, 3, 3]);
    expect(await metric('ringtail_shard_flush_failures_total', { code: 'SHARD_REPLICATION_TIMEOUT' })).toBe(1);
  });

  it('skips a replayed record and still commits past it', async () => {
    const { sink, commits, worker, control, messages, metric } = setup();
    await worker.handleBatch(0, messages(0, record(0, [0, 1])), control);
    await worker.flush();
    await worker.handleBatch(0, messages(1, record(0, [0, 1])), control);
    await worker.flush();
    expect(await metric('ringtail_shard_samples_skipped_total')).toBe(2);
    expect(commits).toEqual(['0@1', '0@2']);
    expect([...sink.windows.values()][0]!.count).toBe(2);
  });

  it('flushes inside a batch once FLUSH_MAX_SAMPLES is reached', async () => {
    const { commits, worker, control, messages } = setup(2);
    await worker.handleBatch(0, messages(0, record(0, [0]), record(0, [1]), record(0, [2])), control);
    await worker.flush();
    expect(commits).toEqual(['0@2', '0@3']);
  });

  it('heartbeats the group while a batch waits for a stuck flush, so a Redis failover does not cost its slots', async () => {
    const { sink, commits, worker, messages } = setup(2);
    let release!: () => void;
    sink.applyGate = new Promise((resolve) => (release = resolve));
    let heartbeats = 0;
    const control = { heartbeat: async () => void (heartbeats += 1), isActive: () => true };
    // Two samples reach FLUSH_MAX_SAMPLES: the first flush starts and sticks; the third must wait for it.
    const batch = worker.handleBatch(0, messages(0, record(0, [0]), record(0, [1]), record(0, [2]), record(0, [3])), control);
    await eventually('heartbeats while waiting', 10_000, () => heartbeats >= 2, 10);
    sink.applyGate = null;
    release();
    await batch;
    await worker.flush();
    expect(commits.at(-1)).toBe('0@4');
  });

  it('heartbeats while a batch queues behind a compaction pass that waits for a stuck flush', async () => {
    // The pass closes windows only after the flush in flight; batches queued behind it used to
    // wait without a heartbeat, and a Redis failover then cost the member its slots.
    const compactor: WindowCompactor = {
      close: async () => new Map(),
      move: async () => ({ windows: 0, blocks: 0, moved: 0, corrupt: [] }),
    };
    const { sink, commits, worker, messages, control: quiet } = setup(1000, compactor);
    await worker.handleBatch(0, messages(0, record(0, [0])), quiet);
    let release!: () => void;
    sink.applyGate = new Promise((resolve) => (release = resolve));
    worker.requestFlush();
    await eventually('the stuck apply', 2000, () => sink.calls.includes('apply:0'), 1);
    const pass = worker.compact();
    let heartbeats = 0;
    const control = { heartbeat: async () => void (heartbeats += 1), isActive: () => true };
    const batch = worker.handleBatch(0, messages(1, record(0, [1])), control);
    await eventually('heartbeats while queued', 10_000, () => heartbeats >= 2, 10);
    sink.applyGate = null;
    release();
    await Promise.all([pass, batch]);
    await worker.flush();
    expect(commits.at(-1)).toBe('0@2');
  });

  it('keeps consuming while a flush is in flight and commits each batch after its own flush', async () => {
    const { sink, commits, worker, control, messages } = setup();
    let release!: () => void;
    sink.applyGate = new Promise((resolve) => (release = resolve));
    await worker.handleBatch(0, messages(0, record(0, [0, 1])), control);
    worker.requestFlush();
    await eventually('the first apply', 2000, () => sink.calls.includes('apply:0'), 1);
    // The first flush is stuck in apply; the next records are still folded in.
    await worker.handleBatch(0, messages(1, record(0, [2]), record(0, [3])), control);
    worker.requestFlush();
    expect(commits).toEqual([]);
    sink.applyGate = null;
    release();
    await worker.flush();
    expect(sink.calls).toEqual(['apply:0', 'wait', 'commit', 'apply:0', 'wait', 'commit']);
    expect(commits).toEqual(['0@1', '0@3']);
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([4, 4, 4]);
  });

  it('keeps flushing while WAIT fails after a failover and commits once a later WAIT succeeds', async () => {
    const { sink, commits, worker, control, messages, metric } = setup();
    sink.failures.awaitReplicas.push(new ReplicationTimeoutError(0, 1, 10), new ReplicationTimeoutError(0, 1, 10));
    await worker.handleBatch(0, messages(0, record(0, [0, 1])), control);
    await flushOnce(worker);
    await worker.handleBatch(0, messages(1, record(0, [2])), control);
    await flushOnce(worker);
    // Both batches are in Redis (readable) but not replicated: nothing committed yet.
    expect(commits).toEqual([]);
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([3, 3, 3]);
    await worker.handleBatch(0, messages(2, record(0, [3])), control);
    await flushOnce(worker);
    expect(sink.calls).toEqual(['apply:0', 'wait', 'apply:0', 'wait', 'apply:0', 'wait', 'commit']);
    expect(commits).toEqual(['0@3']);
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([4, 4, 4]);
    expect(await metric('ringtail_shard_flush_failures_total', { code: 'SHARD_REPLICATION_TIMEOUT' })).toBe(2);
  });

  it('re-reads from the first uncommitted record when a failover lost a write whose WAIT failed', async () => {
    const { sink, commits, seeks, worker, control, messages } = setup();
    sink.failures.awaitReplicas.push(new ReplicationTimeoutError(0, 1, 10));
    await worker.handleBatch(0, messages(0, record(0, [0])), control);
    await flushOnce(worker);
    sink.failover();
    // A record of another raw partition: its own watermark check passes, the lost write must still be noticed.
    await worker.handleBatch(0, messages(1, record(1, [0])), control);
    await flushOnce(worker);
    expect(seeks).toEqual(['0@0']);
    expect(commits).toEqual([]);
    await worker.handleBatch(0, messages(0, record(0, [0]), record(1, [0])), control);
    await worker.flush();
    expect(commits).toEqual(['0@2']);
    expect(sink.watermarks.get('0')).toEqual(new Map([[0, 0], [1, 0]]));
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([2, 2, 2]);
  });

  it('with a linger, flushes and commits records soon after they arrive, without a flush being requested', async () => {
    const { sink, commits, worker, control, messages } = setup(1000, undefined, 5);
    await worker.handleBatch(0, messages(0, record(0, [0, 1])), control);
    await eventually('the commit', 2000, () => commits.length > 0, 1);
    expect(sink.calls).toEqual(['apply:0', 'wait', 'commit']);
    expect(commits).toEqual(['0@1']);
  });

  it('with a linger, follows a flush that ends with records pending by the next one at once, and takes them all in it', async () => {
    const { sink, commits, worker, control, messages } = setup(1000, undefined, 0);
    let release!: () => void;
    sink.applyGate = new Promise((resolve) => (release = resolve));
    await worker.handleBatch(0, messages(0, record(0, [0])), control);
    await eventually('the first apply', 2000, () => sink.calls.includes('apply:0'), 1);
    // Folded while the first flush is stuck: two partitions, several batches, one next flush.
    await worker.handleBatch(0, messages(1, record(0, [1])), control);
    await worker.handleBatch(1, messages(0, record(0, [2])), control);
    await worker.handleBatch(0, messages(2, record(0, [3])), control);
    sink.applyGate = null;
    release();
    await eventually('every commit', 2000, () => commits.includes('0@3') && commits.includes('1@1'), 1);
    expect(sink.calls).toEqual(['apply:0', 'wait', 'commit', 'apply:0', 'apply:1', 'wait', 'commit']);
    expect(commits).toEqual(['0@1', '0@3', '1@1']);
  });

  it('drops a fenced partition and re-reads it from the batch start', async () => {
    const { sink, commits, seeks, worker, control, messages } = setup();
    await worker.handleBatch(3, messages(10, record(0, [0])), control);
    sink.watermarks.set('3', new Map([[0, 99]]));
    await worker.flush();
    expect(seeks).toEqual(['3@10']);
    expect(commits).toEqual([]);
    await worker.handleBatch(3, messages(10, record(0, [0, 100])), control);
    await worker.flush();
    expect(sink.watermarks.get('3')).toEqual(new Map([[0, 100]]));
  });

  it('forgets the unflushed deltas of a partition it lost and ignores batches of it fetched before the rebalance', async () => {
    const { sink, commits, worker, control, messages } = setup();
    await worker.handleBatch(0, messages(0, record(0, [0])), control);
    await worker.handleBatch(1, messages(0, record(1, [0])), control);
    await worker.assign([1]);
    await worker.handleBatch(0, messages(1, record(0, [1])), control);
    await worker.flush();
    expect(sink.calls).toEqual(['apply:1', 'wait', 'commit']);
    expect(commits).toEqual(['1@1']);
    expect(worker.ownedPartitions()).toEqual([1]);
  });

  it('keeps a partition it still owns across a rebalance: seeks past what it read and passes over a re-fetch from the commit', async () => {
    const { sink, commits, seeks, metric, worker, control, messages } = setup();
    await worker.handleBatch(0, messages(0, record(0, [0, 1]), record(0, [2])), control);
    const change = await worker.assign([0, 5]);
    expect(change).toEqual({ kept: 1, lost: 0, gained: 1 });
    expect(seeks).toEqual(['0@2']);
    // kafkajs restarts a kept partition from its last commit (nothing committed yet: offset 0).
    await worker.handleBatch(0, messages(0, record(0, [0, 1]), record(0, [2]), record(0, [3])), control);
    await worker.flush();
    expect(commits).toEqual(['0@3']);
    expect(await metric('ringtail_shard_samples_skipped_total')).toBe(0);
    expect(await metric('ringtail_shard_records_refetched_total')).toBe(2);
    expect([...sink.windows.values()].map((w) => w.count)).toEqual([4, 4, 4]);
  });

  it('does not commit a partition lost while its flush was in flight', async () => {
    const { sink, commits, worker, control, messages } = setup();
    await worker.handleBatch(0, messages(0, record(0, [0])), control);
    await worker.handleBatch(1, messages(0, record(1, [0])), control);
    let release!: () => void;
    sink.applyGate = new Promise((resolve) => (release = resolve));
    worker.requestFlush();
    await eventually('the first apply', 2000, () => sink.calls.includes('apply:0'), 1);
    const assigned = worker.assign([1]);
    release();
    sink.applyGate = null;
    await assigned;
    await worker.idle();
    expect(commits).toEqual(['1@1']);
  });

  it('takes over a slot where Redis says its previous owner stopped, not at the older Kafka commit', async () => {
    const first = setup();
    await first.worker.handleBatch(0, first.messages(0, record(0, [0, 1]), record(0, [2])), first.control);
    // The first owner flushes (Redis now says: resume at offset 2) but its commit is lost with it.
    first.sink.failures.awaitReplicas.push(new ReplicationTimeoutError(0, 1, 10));
    await flushOnce(first.worker);
    const next = setup();
    next.sink.watermarks = first.sink.watermarks;
    next.sink.resumeOffsets = first.sink.resumeOffsets;
    next.sink.windows = first.sink.windows;
    // The next owner is handed the slot from the last commit (nothing committed: offset 0).
    await next.worker.handleBatch(0, next.messages(0, record(0, [0, 1])), next.control);
    expect(next.seeks).toEqual(['0@2']);
    await next.worker.handleBatch(0, next.messages(2, record(0, [3]), record(0, [4])), next.control);
    await next.worker.flush();
    expect(await next.metric('ringtail_shard_samples_skipped_total')).toBe(0);
    expect(await next.metric('ringtail_shard_records_refetched_total')).toBe(1);
    expect([...next.sink.windows.values()].map((w) => w.count)).toEqual([5, 5, 5]);
    expect(next.commits).toEqual(['0@4']);
  });
});
