import { isRetriable } from './errors.ts';
import { countFailure, retrying, type RetryContext } from './redis-retry.ts';
import type { LateSampleSink, ShardConsumerPort, WindowSink } from './shard-ports.ts';
import { UnconfirmedBatches } from './unconfirmed-batches.ts';
import type { FlushBatch, PartitionBatch } from './flush-batch.ts';
import type { WindowAggregator } from './window-aggregator.ts';

export interface SlotFlusherOptions extends RetryContext {
  readonly shardTopic: string;
  readonly aggregator: WindowAggregator;
  readonly sink: WindowSink;
  /** Receives samples whose window compaction closed in every resolution, before the batch covering them is applied. */
  readonly lateSamples: LateSampleSink;
  readonly consumer: ShardConsumerPort;
  readonly nowMs: () => number;
  /** Called after each flush whose writes are durable and whose offsets were committed. */
  readonly onFlushed?: () => void;
}

/**
 * The write side of a shard worker: applies a flush batch's slot scripts,
 * waits for the replicas, and commits the Kafka offsets the WAIT made durable.
 *
 * Writes whose WAIT failed stay unconfirmed (their offsets held back), and
 * every later script of their slots re-checks them, so a write a failover lost
 * fences its slot instead of being committed past. A slot whose script is
 * fenced or refused is dropped from the aggregator and re-read from its first
 * uncommitted record.
 *
 * One flush at a time, called by the worker, which keeps them in order: a
 * batch's expected watermarks are the previous batch's new ones.
 */
export class SlotFlusher {
  private readonly unconfirmed = new UnconfirmedBatches();

  /** `owns(slot)`: whether this process still owns the slot when its offsets are committed. */
  constructor(
    private readonly o: SlotFlusherOptions,
    private readonly owns: (slot: number) => boolean,
  ) {}

  /** Slots with writes not yet confirmed by a WAIT (their offsets held back). */
  get unconfirmedSlots(): number {
    return this.unconfirmed.size;
  }

  /** Forgets the unconfirmed writes of slots not in `owned`: their next owner re-reads them from the last commit. */
  keepOnly(owned: ReadonlySet<number>): void {
    for (const [p] of [...this.unconfirmed.entries()]) if (!owned.has(p)) this.unconfirmed.delete(p);
  }

  /** Applies `batch` (plus checks of earlier unconfirmed writes), WAITs, and commits what is durable. */
  async flush(batch: FlushBatch | null): Promise<void> {
    const startedMs = this.o.nowMs();
    const current = batch?.partitions ?? [];
    const late = current.flatMap((b) => b.late);
    const phase = this.phaseTimer();
    // Before the watermarks pass them: a crash in between re-reads them and records them again, never loses them.
    if (late.length > 0) {
      await retrying(this.o, 'dlq', () => this.o.lateSamples.reject(late));
      phase('dlq');
    }
    const toApply = this.unconfirmed.withConfirmation(current);
    this.unconfirmed.add(current.map((b) => ({ ...b, windows: [] })));
    const wrote = await retrying(this.o, 'flush', () => this.applyAll(toApply));
    phase('scripts');
    if (wrote) {
      const waitStartedMs = this.o.nowMs();
      try {
        await this.o.sink.awaitReplicas().finally(() => this.o.metrics.replicaWaitDurationMs.observe(this.o.nowMs() - waitStartedMs));
        // Observed above: the commit phase starts here.
        phase(null);
      } catch (err) {
        // The writes stay on the primary (AOF) and readable; only the commits wait for a later WAIT.
        countFailure(this.o.metrics, err);
        this.o.log.warn({ err, heldPartitions: this.unconfirmed.size }, 'WAIT failed, offsets held back until a later flush is replicated');
        this.o.metrics.flushDurationMs.observe(this.o.nowMs() - startedMs);
        return;
      }
    }
    await this.commitUnconfirmed();
    phase('commit');
    this.o.metrics.flushDurationMs.observe(this.o.nowMs() - startedMs);
  }

  /** Returns a function that observes the time since its previous call (or since now) as a flush phase (null: not observed). */
  private phaseTimer(): (name: 'dlq' | 'scripts' | 'commit' | null) => void {
    let since = this.o.nowMs();
    return (name) => {
      const now = this.o.nowMs();
      if (name !== null) this.o.metrics.flushPhaseMs.observe({ phase: name }, now - since);
      since = now;
    };
  }

  /**
   * Runs the script of every partition batch; true if any of them wrote.
   * Retried as a whole on transient errors: a failover may have lost a script
   * that ran, and re-running one that landed is harmless ("already applied").
   * Scripts go out in groups of at most SCRIPT_GROUP_WINDOWS windows, each group
   * pipelined and awaited before the next: one round trip per script costs, on
   * a loaded machine, a wait for this event loop per slot; all of them at once
   * occupy Redis back to back, and every other client's commands (the alerter's
   * evaluation reads, its dispatcher) wait behind them — measured on the alert
   * bench, that tripled flush→webhook. A group is a few milliseconds of Redis.
   */
  private async applyAll(batches: readonly PartitionBatch[]): Promise<boolean> {
    let wrote = false;
    // Only duplicates (or nothing valid) still move the slot's resume offset (`k`): a later
    // owner, or this worker restarted, then passes over these records instead of re-reading them.
    // Rewound by an earlier attempt of this flush: its records are being re-read.
    const pending = batches.filter((b) => this.unconfirmed.get(b.shardPartition) !== undefined);
    for (const group of scriptGroups(pending)) {
      const results = await Promise.allSettled(group.map((b) => this.o.sink.apply(b)));
      let retriable: unknown;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') wrote = true;
        else if (isRetriable(r.reason)) retriable ??= r.reason;
        else this.rewind(group[i]!, r.reason);
      });
      if (retriable !== undefined) throw retriable;
    }
    return wrote;
  }

  /** Drops a partition whose write was fenced or rejected and re-reads it from its first uncommitted record. */
  private rewind(b: PartitionBatch, err: unknown): void {
    const code = (err as { code?: unknown }).code;
    this.o.log.error({ err, shardPartition: b.shardPartition, fromOffset: b.firstKafkaOffset }, 'flush of partition rejected, re-reading it');
    if (code === 'SHARD_FLUSH_FENCED') this.o.metrics.flushesFenced.inc();
    else countFailure(this.o.metrics, err);
    this.unconfirmed.delete(b.shardPartition);
    this.o.aggregator.dropPartition(b.shardPartition);
    this.o.consumer.seek(this.o.shardTopic, b.shardPartition, b.firstKafkaOffset);
  }

  /** Commits every unconfirmed partition: the WAIT that just succeeded covered all of their writes. */
  private async commitUnconfirmed(): Promise<void> {
    const offsets: { partition: number; offset: string }[] = [];
    const indexed = [];
    let samples = 0;
    for (const [partition, u] of this.unconfirmed.entries()) {
      // A partition lost while its flush was in flight: its new owner commits it.
      if (this.owns(partition)) offsets.push({ partition, offset: u.commitKafkaOffset });
      indexed.push(...u.newSeries);
      samples += u.sampleCount;
    }
    this.unconfirmed.clear();
    try {
      if (offsets.length > 0) await this.o.consumer.commit(this.o.shardTopic, offsets);
    } catch (err) {
      // Harmless: the windows are durable and the watermarks skip the re-read records.
      this.o.log.warn({ err, shardTopic: this.o.shardTopic, offsets }, 'offset commit failed after a durable flush');
    }
    this.o.aggregator.markIndexed(indexed);
    this.o.metrics.samplesFlushed.inc(samples);
    this.o.onFlushed?.();
  }
}

/** Windows of the scripts sent together in one pipeline (about 2-10 ms of Redis, depending on how many are known). */
const SCRIPT_GROUP_WINDOWS = 1500;

/** `batches` in order, cut into groups of at most SCRIPT_GROUP_WINDOWS windows (a larger batch alone). */
function scriptGroups(batches: readonly PartitionBatch[]): PartitionBatch[][] {
  const groups: PartitionBatch[][] = [];
  let windows = Infinity;
  for (const b of batches) {
    if (windows + b.windows.length > SCRIPT_GROUP_WINDOWS) {
      groups.push([]);
      windows = 0;
    }
    groups.at(-1)!.push(b);
    windows += b.windows.length;
  }
  return groups;
}
