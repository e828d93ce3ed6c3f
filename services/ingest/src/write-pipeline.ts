import { backoffDelayMs, type BackoffPolicy } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { OffsetCommitError } from './errors.ts';
import type { RoutedBatch } from './raw-batch-router.ts';

/** Writes routed batches, in the given order, and resolves once every record is acknowledged; throws if any write failed. */
export interface RoutedBatchSink {
  write(batches: readonly RoutedBatch[]): Promise<void>;
}

/** Commits raw offsets (`offset` is the next offset to read). */
export interface OffsetCommitter {
  commit(offsets: readonly RawOffset[]): Promise<void>;
}

export interface RawOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One routed raw batch waiting for its write and then its commit. */
export interface PendingBatch {
  readonly routed: RoutedBatch;
  readonly rawTopic: string;
  /** Offset to commit once the batch is written: its last offset + 1. */
  readonly commitOffset: bigint;
  /** When the batch was received, in the clock of `WritePipelineDeps.now`. */
  readonly receivedMs: number;
}

export interface WritePipelineDeps {
  readonly sink: RoutedBatchSink;
  readonly committer: OffsetCommitter;
  /** Samples (valid, routed or rejected) that may wait for their write before `waitForRoom` holds the consumer back. */
  readonly maxPendingSamples: number;
  /** Called once per batch after its commit succeeded. */
  readonly onCommitted: (batch: PendingBatch, durationMs: number) => void;
  readonly onWriteFailed: () => void;
  /** Called once per batch when its write was acknowledged, `durationMs` after it was received. */
  readonly onWritten?: (batch: PendingBatch, durationMs: number) => void;
  readonly now: () => number;
  readonly delay: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of write retries. */
  readonly random: () => number;
  readonly log: Logger;
}

const WRITE_RETRY: BackoffPolicy = { initialMs: 100, maxMs: 5_000 };
const RETRY_BACKOFF_MAX_MS = WRITE_RETRY.maxMs;

/**
 * Lets ingest route the next raw batch while earlier ones are being written and
 * committed. Batches are written in the order they were added, one write at a
 * time; a write takes every batch waiting at that moment (fewer, larger produce
 * requests). If a write fails, the same batches are written again, after a
 * backoff, before anything added later: each shard partition sees every raw
 * partition's records in raw-offset order with no gap, and a retry only adds
 * duplicates, which the shard skips by watermark.
 *
 * Offsets are committed only after the batches they cover are acknowledged,
 * one commit at a time; acknowledgements that arrive during a commit are merged
 * into the next one, and no commit moves a partition back behind one this
 * pipeline already made (batches read again after a rebalance). A failed
 * commit is logged and its offsets go out with the next commit (or a retry
 * after a backoff); until then a restart reads those batches again, which only
 * duplicates.
 */
export class WritePipeline {
  private readonly queue: PendingBatch[] = [];
  private queuedSamples = 0;
  private writing = false;
  private committing = false;
  private closed = false;
  private toCommit = new Map<string, RawCommit>();
  // Per raw topic partition: after a rebalance the batches from the committed offset on are
  // read again, and their commits must not undo a later one that already went out.
  private readonly highestCommitted = new Map<string, bigint>();
  private committedBatches: PendingBatch[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly deps: WritePipelineDeps) {}

  /** Samples of the batches not yet acknowledged. */
  get pendingSamples(): number {
    return this.queuedSamples;
  }

  /** Whether `close` was called; a closed pipeline refuses new batches. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues `batch` behind every batch added before it.
   * @throws Error when the pipeline is closed.
   */
  add(batch: PendingBatch): void {
    if (this.closed) throw new Error('write pipeline is closed');
    this.queue.push(batch);
    this.queuedSamples += batchSamples(batch);
    if (!this.writing) void this.writeLoop();
  }

  /** Resolves true once fewer than `maxPendingSamples` samples wait, or false after `timeoutMs`. */
  async waitForRoom(timeoutMs: number): Promise<boolean> {
    return this.until(() => this.queuedSamples < this.deps.maxPendingSamples, timeoutMs);
  }

  /** Refuses further batches; the ones already added are still written and committed (see `drain`). */
  close(): void {
    this.closed = true;
  }

  /**
   * Resolves once every batch added so far is written and a commit of its
   * offsets was attempted (a failed one is logged; a replay then duplicates).
   */
  async drain(): Promise<void> {
    while (!(await this.until(() => this.queue.length === 0 && !this.writing && !this.committing, RETRY_BACKOFF_MAX_MS)));
    if (this.toCommit.size === 0) return;
    void this.commitLoop();
    while (!(await this.until(() => !this.committing, RETRY_BACKOFF_MAX_MS)));
  }

  private until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(done());
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    let failures = 0;
    while (this.queue.length > 0) {
      // Batches stay queued until acknowledged, so a retry starts with the same head.
      const group = this.queue.slice();
      try {
        await this.deps.sink.write(group.map((b) => b.routed));
      } catch (err) {
        this.deps.onWriteFailed();
        const retryInMs = backoffDelayMs(WRITE_RETRY, ++failures, this.deps.random());
        this.deps.log.warn({ err, batches: group.length, retryInMs }, 'routed batch write failed, writing it again');
        await this.deps.delay(retryInMs);
        continue;
      }
      failures = 0;
      const ackedMs = this.deps.now();
      for (const b of group) this.deps.onWritten?.(b, ackedMs - b.receivedMs);
      this.queue.splice(0, group.length);
      for (const b of group) this.queuedSamples -= batchSamples(b);
      this.scheduleCommit(group);
      this.changed();
    }
    this.writing = false;
    this.changed();
  }

  private scheduleCommit(acked: readonly PendingBatch[]): void {
    for (const b of acked) {
      const c = { topic: b.rawTopic, partition: b.routed.rawPartition, offset: b.commitOffset };
      if (c.offset > (this.highestCommitted.get(commitKey(c)) ?? -1n)) {
        mergeCommit(this.toCommit, c);
        this.committedBatches.push(b);
      } else {
        // Already covered by a commit that went out.
        this.deps.onCommitted(b, this.deps.now() - b.receivedMs);
      }
    }
    if (!this.committing && this.toCommit.size > 0) void this.commitLoop();
  }

  private async commitLoop(): Promise<void> {
    this.committing = true;
    while (this.toCommit.size > 0) {
      const offsets = [...this.toCommit.values()];
      const batches = this.committedBatches;
      this.toCommit = new Map();
      this.committedBatches = [];
      try {
        await this.deps.committer.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
      } catch (err) {
        const error = new OffsetCommitError(offsets[0]?.topic ?? '', offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })), { cause: err });
        this.deps.log.warn({ err: error }, 'raw offset commit failed, retrying with the next one');
        // Offsets acknowledged meanwhile supersede the failed ones: never commit backwards.
        for (const o of offsets) mergeCommit(this.toCommit, o);
        this.committedBatches = [...batches, ...this.committedBatches];
        void this.deps.delay(RETRY_BACKOFF_MAX_MS).then(() => {
          if (!this.committing && this.toCommit.size > 0) void this.commitLoop();
        });
        break;
      }
      for (const o of offsets) this.highestCommitted.set(commitKey(o), o.offset);
      const now = this.deps.now();
      for (const b of batches) this.deps.onCommitted(b, now - b.receivedMs);
    }
    this.committing = false;
    this.changed();
  }
}

interface RawCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

function commitKey(c: RawCommit): string {
  return `${c.topic}\u0000${c.partition}`;
}

function mergeCommit(into: Map<string, RawCommit>, c: RawCommit): void {
  const have = into.get(commitKey(c));
  if (have === undefined || c.offset > have.offset) into.set(commitKey(c), c);
}

function batchSamples(b: PendingBatch): number {
  // A message rejected whole counts as one: it still has to be written to the DLQ.
  return Math.max(b.routed.samples, b.routed.messages);
}
