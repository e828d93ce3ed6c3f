import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@ringtail/runtime';
import type { RoutedBatch } from '@ringtail/ingest';
import { WritePipeline, type PendingBatch, type RawOffset, type WritePipelineDeps } from '../../../services/ingest/src/write-pipeline.ts';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('write-pipeline');
const log = createLogger('write-pipeline-test', 'silent');
const TOPIC = 'raw';

/** A batch of `samples` samples of raw partition `rp` ending at `lastOffset` (compare batches by identity). */
function batch(rp: number, lastOffset: number, samples = 10): PendingBatch {
  const routed: RoutedBatch = { rawPartition: rp, shardRecords: [], dlq: [], messages: 1, samples, routed: 0, expiredByResolution: new Map() };
  return { routed, rawTopic: TOPIC, commitOffset: BigInt(lastOffset) + 1n, receivedMs: 0 };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Harness {
  readonly pipeline: WritePipeline;
  /** Every write attempt, in order, with its outcome. */
  readonly writes: { readonly batches: readonly RoutedBatch[]; readonly ok: boolean }[];
  /** Every commit attempt, in order, with its outcome. */
  readonly commits: { readonly offsets: readonly RawOffset[]; readonly ok: boolean }[];
  readonly committed: PendingBatch[];
}

function harness(opts: { failWrite?: () => boolean; failCommit?: () => boolean; maxPendingSamples?: number; writeGate?: () => Promise<void> } = {}): Harness {
  const writes: Harness['writes'][number][] = [];
  const commits: Harness['commits'][number][] = [];
  const committed: PendingBatch[] = [];
  const deps: WritePipelineDeps = {
    sink: {
      async write(batches) {
        await (opts.writeGate?.() ?? tick());
        const ok = !(opts.failWrite?.() ?? false);
        writes.push({ batches: [...batches], ok });
        if (!ok) throw new Error('write failed');
      },
    },
    committer: {
      async commit(offsets) {
        await tick();
        const ok = !(opts.failCommit?.() ?? false);
        commits.push({ offsets: [...offsets], ok });
        if (!ok) throw new Error('commit failed');
      },
    },
    maxPendingSamples: opts.maxPendingSamples ?? 1_000_000,
    onCommitted: (b) => committed.push(b),
    onWriteFailed: () => undefined,
    now: () => 0,
    delay: () => tick(),
    random: () => 0.5,
    log,
  };
  return { pipeline: new WritePipeline(deps), writes, commits, committed };
}

describe('WritePipeline', () => {
  it('writes every batch once, in the order added, and commits no offset before its batch is acknowledged', async () => {
    const arbitraryRun = fc.record({
      // Per added batch: its raw partition and how many ticks pass before the next one is added.
      adds: fc.array(fc.record({ rp: fc.nat(3), gap: fc.nat(2) }), { minLength: 1, maxLength: 40 }),
      writeFailures: fc.array(fc.boolean(), { maxLength: 60 }),
      commitFailures: fc.array(fc.boolean(), { maxLength: 60 }),
    });
    await fc.assert(
      fc.asyncProperty(arbitraryRun, async ({ adds, writeFailures, commitFailures }) => {
        let w = 0;
        let c = 0;
        const h = harness({ failWrite: () => writeFailures[w++] ?? false, failCommit: () => commitFailures[c++] ?? false });
        const added: PendingBatch[] = [];
        const nextOffset = [0, 0, 0, 0];
        for (const { rp, gap } of adds) {
          nextOffset[rp]! += 5;
          const b = batch(rp, nextOffset[rp]! - 1);
          added.push(b);
          h.pipeline.add(b);
          for (let i = 0; i < gap; i++) await tick();
        }
        await h.pipeline.drain();

        // The acknowledged writes, one after the other, are exactly the batches as added: no gap, no reordering.
        const acknowledged = h.writes.filter((x) => x.ok).flatMap((x) => x.batches);
        expect(acknowledged).toHaveLength(added.length);
        acknowledged.forEach((b, i) => expect(b).toBe(added[i]!.routed));
        // After a failure the next write starts with the batch that failed.
        h.writes.forEach((x, i) => {
          if (!x.ok && i + 1 < h.writes.length) expect(h.writes[i + 1]!.batches[0]).toBe(x.batches[0]);
        });
        // Each commit covers only acknowledged batches and never moves a partition back.
        const highest = new Map<number, bigint>();
        for (const commit of h.commits) {
          for (const o of commit.offsets) {
            expect(BigInt(o.offset)).toBeGreaterThanOrEqual(highest.get(o.partition) ?? 0n);
            if (commit.ok) highest.set(o.partition, BigInt(o.offset));
          }
        }
        // The last commit attempt of drain() leaves every partition at the end of its last batch.
        if (h.commits.at(-1)?.ok ?? false) {
          for (let rp = 0; rp < 4; rp++) if (nextOffset[rp]! > 0) expect(highest.get(rp)).toBe(BigInt(nextOffset[rp]!));
          expect(h.committed).toHaveLength(added.length);
        }
      }),
      { seed, numRuns: 200 },
    );
  });

  it('commits only offsets whose batches were acknowledged before the commit began', async () => {
    let release: (() => void) | undefined;
    const h = harness({ writeGate: () => new Promise<void>((resolve) => (release = resolve)) });
    h.pipeline.add(batch(0, 9));
    await tick();
    h.pipeline.add(batch(0, 19));
    await tick();
    expect(h.commits).toHaveLength(0);
    release?.();
    await tick();
    await tick();
    await tick();
    expect(h.commits.flatMap((c) => c.offsets)).toEqual([{ topic: TOPIC, partition: 0, offset: '10' }]);
    release?.();
    await h.pipeline.drain();
    expect(h.commits.at(-1)?.offsets).toEqual([{ topic: TOPIC, partition: 0, offset: '20' }]);
  });

  it('holds the consumer back while maxPendingSamples wait and lets it go once they are acknowledged', async () => {
    let release: (() => void) | undefined;
    const h = harness({ maxPendingSamples: 25, writeGate: () => new Promise<void>((resolve) => (release = resolve)) });
    h.pipeline.add(batch(0, 9, 20));
    expect(await h.pipeline.waitForRoom(10)).toBe(true);
    h.pipeline.add(batch(1, 9, 20));
    expect(await h.pipeline.waitForRoom(10)).toBe(false);
    const room = h.pipeline.waitForRoom(60_000);
    release?.();
    await tick();
    release?.();
    expect(await room).toBe(true);
    expect(h.pipeline.pendingSamples).toBeLessThan(25);
    await h.pipeline.drain();
  });

  it('never commits a partition back behind an offset it already committed (batches read again)', async () => {
    const h = harness();
    h.pipeline.add(batch(0, 19));
    await h.pipeline.drain();
    h.pipeline.add(batch(0, 9));
    h.pipeline.add(batch(1, 4));
    await h.pipeline.drain();
    expect(h.commits.map((c) => c.offsets.map((o) => `${o.partition}@${o.offset}`))).toEqual([['0@20'], ['1@5']]);
    expect(h.writes.flatMap((w) => w.batches.map((b) => b.rawPartition))).toEqual([0, 0, 1]);
    expect(h.committed).toHaveLength(3);
  });

  it('retries a failed commit with the next one', async () => {
    let c = 0;
    const h = harness({ failCommit: () => c++ === 0 });
    h.pipeline.add(batch(0, 9));
    await h.pipeline.drain();
    expect(h.commits.map((x) => [x.ok, x.offsets.map((o) => o.offset)])).toEqual([
      [false, ['10']],
      [true, ['10']],
    ]);
    expect(h.committed).toHaveLength(1);
  });

  it('refuses batches once closed and still writes and commits the ones added before', async () => {
    const h = harness();
    h.pipeline.add(batch(2, 4));
    h.pipeline.close();
    expect(() => h.pipeline.add(batch(2, 9))).toThrow(/closed/);
    await h.pipeline.drain();
    expect(h.writes.filter((x) => x.ok).flatMap((x) => x.batches.map((b) => b.rawPartition))).toEqual([2]);
    expect(h.commits.at(-1)?.offsets).toEqual([{ topic: TOPIC, partition: 2, offset: '5' }]);
  });
});
