import { setTimeout as delay } from 'node:timers/promises';
import { ShardRecordDecoder, backoffDelayMs } from '@ringtail/model';
import { countFailure, retrying } from './redis-retry.ts';
import { SerialQueue } from './serial-queue.ts';
import type { CompactionResult, CorruptRecordSink, StoredSlot, WindowCompactor } from './shard-ports.ts';
import { SlotFlusher, type SlotFlusherOptions } from './slot-flusher.ts';
import type { FlushBatch } from './flush-batch.ts';
import type { WindowAggregator } from './window-aggregator.ts';

export interface ConsumedMessage {
  readonly offset: string;
  readonly value: Buffer | null;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the batch is stale (rebalance, seek) or the consumer stops. */
  isActive(): boolean;
}

export interface ShardWorkerOptions extends SlotFlusherOptions {
  /** Receives undecodable records before any later commit can pass them; absent: they are only logged and counted. */
  readonly corruptRecords?: CorruptRecordSink;
  /** Absent: this worker never compacts (another process, or nobody, does). */
  readonly compactor?: WindowCompactor;
  readonly flushMaxSamples: number;
  /**
   * Set: a worker with no flush in flight flushes records this long (ms) after
   * they were folded, and a flush that finds records pending when it ends is
   * followed at once by the next (group commit). Absent: flushes start only
   * when `requestFlush` is called (a timer) or FLUSH_MAX_SAMPLES is reached.
   */
  readonly flushLingerMs?: number;
}

// kafkajs has no background heartbeat: a long batch heartbeats itself (a no-op unless one is due).
const HEARTBEAT_EVERY_MESSAGES = 500;
// While a batch waits (queued behind a pass, or for a flush retried through a Redis failover), it heartbeats this often.
const HEARTBEAT_WHILE_WAITING_MS = 500;

/**
 * Consumes one shard topic: folds records into the aggregator and flushes
 * batches to the sink in the background, one flush at a time, while the next
 * batch is aggregated. Kafka offsets are committed only after a flush and a
 * later-or-same WAIT succeeded.
 *
 * Aggregator mutations (consumption, taking a batch, rebalance resets) run
 * through one serial queue; a flush runs outside it, so consumption goes on
 * while it is in flight. Flushes stay strictly ordered: the next one starts
 * only after the previous one finished (a batch's expected watermarks are the
 * previous batch's new ones).
 */
export class ShardWorker {
  private readonly queue = new SerialQueue();
  private readonly flusher: SlotFlusher;
  private readonly decoder = new ShardRecordDecoder();
  private inFlight: Promise<void> | null = null;
  private flushRequested = false;
  private flushTaskQueued = false;
  /** A linger sleep is running: it requests the flush when it ends. */
  private lingering = false;
  /** When the first record since the last `takeBatch` was folded (nowMs); null while nothing is pending. */
  private pendingSinceMs: number | null = null;
  private stopping = false;
  /** Partitions the group gave this process; null until the first assignment (then every partition is taken). */
  private owned: ReadonlySet<number> | null = null;

  constructor(private readonly o: ShardWorkerOptions) {
    this.flusher = new SlotFlusher(o, (slot) => this.owns(slot));
  }

  /**
   * Folds one fetched batch of `partition`; starts a flush whenever FLUSH_MAX_SAMPLES is reached.
   * Heartbeats the group for as long as the batch waits: behind another task of the serial
   * queue (a compaction pass or an assignment waiting for a flush retried through a Redis
   * failover), or inside it (re-reading a slot, recording a corrupt record). kafkajs feeds
   * one batch at a time and heartbeats only between batches, so a batch that waits silently
   * past the session timeout gets its member dropped and its slots moved for nothing.
   */
  handleBatch(partition: number, messages: readonly ConsumedMessage[], control: BatchControl): Promise<void> {
    return heartbeatUntil(this.fold(partition, messages, control), control);
  }

  private fold(partition: number, messages: readonly ConsumedMessage[], control: BatchControl): Promise<void> {
    return this.queue.run(async () => {
      // A batch fetched before a rebalance took the partition away: its next owner reads it.
      if (this.stopping || !this.owns(partition)) return;
      const { aggregator, metrics, shardTopic } = this.o;
      if (!aggregator.hasPartition(partition)) {
        const stored = await retrying(this.o, 'read watermarks', () => this.o.sink.readSlot(partition));
        loadSlot(aggregator, partition, stored);
      }
      let undecodable = 0;
      const start = this.firstUnread(partition, messages);
      if (start > 0) metrics.recordsRefetched.inc(start);
      if (start === messages.length && start > 0) {
        // All of it was applied before (by this process or the slot's previous owner): read on from there.
        this.o.consumer.seek(shardTopic, partition, aggregator.resumeOffset(partition)!.toString());
        return;
      }
      for (let i = start; i < messages.length; i++) {
        // A fenced flush drops the partition and seeks back: the rest of this batch is stale.
        if (!control.isActive() || this.stopping || !aggregator.hasPartition(partition)) break;
        const m = messages[i]!;
        let record;
        try {
          record = this.decoder.decode(m.value ?? Buffer.alloc(0));
        } catch (err) {
          if (undecodable++ === 0) this.o.log.error({ err, shardTopic, partition, offset: m.offset }, 'undecodable shard record set aside');
          metrics.recordsUndecodable.inc();
          // Durable before this batch's records can be committed past it: never neither in Redis nor in the DLQ.
          const corrupt = { shardTopic, partition, offset: m.offset, value: m.value ?? Buffer.alloc(0), reason: (err as Error).message };
          const dlq = this.o.corruptRecords;
          if (dlq) await retrying(this.o, 'dlq', () => dlq.reject(corrupt));
          continue;
        }
        const r = aggregator.add(partition, m.offset, record);
        if (r.applied > 0) metrics.samplesApplied.inc(r.applied);
        if (r.skipped > 0) metrics.samplesSkipped.inc(r.skipped);
        if (r.coarseCatchUp > 0) metrics.samplesCoarseCatchUp.inc(r.coarseCatchUp);
        if (r.invalid > 0) metrics.samplesInvalid.inc(r.invalid);
        if (r.late > 0) metrics.samplesLate.inc(r.late);
        r.closed.forEach((n, ri) => {
          if (n > 0) metrics.samplesClosed.inc({ resolution: this.o.aggregator.resolutionName(ri) }, n);
        });
        if (aggregator.pendingSamples >= this.o.flushMaxSamples) {
          // Backpressure: limb deltas must stay within FLUSH_MAX_SAMPLES, so wait for the flush in flight.
          if (this.inFlight !== null) await this.inFlight;
          void this.startFlush(true);
        } else if (this.flushRequested && this.inFlight === null) {
          void this.startFlush();
        }
        if (i % HEARTBEAT_EVERY_MESSAGES === HEARTBEAT_EVERY_MESSAGES - 1) await control.heartbeat();
      }
      if (this.pendingSinceMs === null && aggregator.hasPending) this.pendingSinceMs = this.o.nowMs();
      metrics.pendingSamples.set(aggregator.pendingSamples);
      if (aggregator.hasPending && this.inFlight === null) this.lingerThenFlush();
    });
  }

  /**
   * Asks for a flush of whatever is pending (the FLUSH_INTERVAL_MS timer calls
   * this). Returns at once; if a flush is in flight, the next one starts as
   * soon as it finished.
   */
  requestFlush(): void {
    this.flushRequested = true;
    if (this.inFlight !== null || this.flushTaskQueued) return;
    this.flushTaskQueued = true;
    void this.queue.run(async () => {
      this.flushTaskQueued = false;
      if (this.flushRequested && this.inFlight === null) void this.startFlush();
    });
  }

  /** With FLUSH_LINGER_MS set: requests a flush once the linger has passed (one linger at a time). */
  private lingerThenFlush(): void {
    const lingerMs = this.o.flushLingerMs;
    if (lingerMs === undefined || this.lingering || this.stopping) return;
    if (lingerMs === 0) return this.requestFlush();
    this.lingering = true;
    void this.o.sleep(lingerMs).then(() => {
      this.lingering = false;
      this.requestFlush();
    });
  }

  /**
   * Flushes everything pending and waits until it is durable and committed
   * (shutdown and tests). Retries while WAIT fails, without giving up.
   */
  async flush(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = await this.queue.run(async () => {
        if (this.inFlight !== null) await this.inFlight;
        return { flush: this.startFlush(true) };
      });
      await started.flush;
      const done = await this.queue.run(async () => !this.o.aggregator.hasPending && !this.o.aggregator.hasCoarsePending && this.flusher.unconfirmedSlots === 0);
      if (done) return;
      await this.o.sleep(backoffDelayMs(this.o.retry, attempt, this.o.random()));
    }
  }

  /** Resolves once every flush requested so far has finished (durable or held back). */
  async idle(): Promise<void> {
    await this.queue.run(async () => undefined);
    while (this.inFlight !== null) {
      await this.inFlight;
      await this.queue.run(async () => undefined);
    }
  }

  /**
   * After a rebalance: this process now owns `partitions` (the slots the
   * group's assigner gave it). State of partitions it keeps stays as it is;
   * state of partitions it lost is dropped once the flush in flight (if any)
   * has finished. Returns what changed.
   *
   * kafkajs revokes every partition at every rebalance and restarts the kept
   * ones from their last commit. Re-reading them would only re-skip records
   * already folded here, so each kept partition is sought to where this
   * process stopped reading (and a fetch that still starts earlier is skipped
   * up to there). Keeping is safe because every flush compare-and-sets its
   * watermarks: if another owner wrote the slot meanwhile, the flush is fenced
   * and the slot re-read. Dropping a lost partition is safe because nothing
   * uncommitted is lost: its next owner re-reads from the last commit and the
   * Redis watermarks skip what was applied.
   */
  assign(partitions: readonly number[]): Promise<{ kept: number; lost: number; gained: number }> {
    const previous = this.owned ?? new Set(this.o.aggregator.loadedPartitions());
    const owned = new Set(partitions);
    this.owned = owned;
    return this.queue.run(async () => {
      if (this.inFlight !== null) await this.inFlight;
      const { aggregator, consumer, shardTopic } = this.o;
      for (const p of aggregator.loadedPartitions()) {
        if (owned.has(p)) continue;
        aggregator.dropPartition(p);
        this.o.sink.forgetSlot?.(p);
      }
      this.flusher.keepOnly(owned);
      for (const p of owned) {
        const resume = aggregator.resumeOffset(p);
        if (resume !== null) consumer.seek(shardTopic, p, resume.toString());
      }
      this.o.metrics.pendingSamples.set(aggregator.pendingSamples);
      let kept = 0;
      for (const p of owned) if (previous.has(p)) kept++;
      return { kept, lost: previous.size - kept, gained: owned.size - kept };
    });
  }

  /**
   * One compaction pass over every slot this process owns and has loaded:
   * closes what the slot clock passed (in the serial queue, after the flush in
   * flight, never past a window still pending here, so no batch of this process
   * can write a closed window), then moves the closed hot windows into blocks
   * outside the queue (they are frozen, so consumption goes on meanwhile).
   * Errors are logged and counted; the next pass retries.
   */
  async compact(): Promise<CompactionResult> {
    const total = { windows: 0, blocks: 0, moved: 0, corrupt: [] as string[] };
    const { compactor, aggregator, metrics, log } = this.o;
    if (compactor === undefined) return total;
    const closed = await this.queue.run(async () => {
      if (this.inFlight !== null) await this.inFlight;
      // Every slot at once: consumption waits for this task, so one round trip, not one per slot.
      // Each slot's steps stay in order, and no other task touches the aggregator meanwhile.
      const closeSlot = async (slot: number): Promise<[number, Map<string, number>] | null> => {
        if (this.stopping) return null;
        try {
          // A slot without traffic since this process got it still has windows to close.
          if (!aggregator.hasPartition(slot)) {
            const stored = await this.o.sink.readSlot(slot);
            loadSlot(aggregator, slot, stored);
          }
          const ct = await compactor.close(slot, aggregator.oldestPendingStarts(slot));
          aggregator.closeThrough(slot, ct);
          return [slot, ct];
        } catch (err) {
          countFailure(metrics, err);
          // The message only: a Redis error carries the whole script call.
          log.warn({ err: (err as Error).message, slot }, 'closing windows failed, retried next pass');
          return null;
        }
      };
      const out = await Promise.all(this.ownedPartitions().map(closeSlot));
      return out.filter((c): c is [number, Map<string, number>] => c !== null);
    });
    for (const [slot, ct] of closed) {
      const startedMs = this.o.nowMs();
      try {
        const r = await compactor.move(slot, ct);
        total.windows += r.windows;
        total.blocks += r.blocks;
        total.moved += r.moved;
        total.corrupt.push(...r.corrupt);
        metrics.windowsCompacted.inc(r.windows);
        metrics.blocksMoved.inc(r.moved);
        if (r.corrupt.length > 0) log.error({ slot, blocks: r.corrupt }, 'blocks that do not decode left alone; their hot windows stay hot');
      } catch (err) {
        countFailure(metrics, err);
        log.warn({ err: (err as Error).message, slot }, 'compaction failed, retried next pass');
      }
      metrics.compactionDurationMs.observe(this.o.nowMs() - startedMs);
    }
    return total;
  }

  /** Partitions this process owns since the last `assign` (every partition it was handed, before the first). */
  ownedPartitions(): number[] {
    return [...(this.owned ?? new Set(this.o.aggregator.loadedPartitions()))].sort((a, b) => a - b);
  }

  /** Stops taking new records; pending ones are still flushed by `flush()`. */
  beginStop(): void {
    this.stopping = true;
  }

  /**
   * Takes the pending batch (with every coarse resolution when `all`, else those due) and
   * flushes it in the background. Only from a queue task, with no flush in flight.
   */
  private startFlush(all = false): Promise<void> {
    this.flushRequested = false;
    const batch = this.o.aggregator.takeBatch(this.o.nowMs(), all);
    if (batch !== null && this.pendingSinceMs !== null) this.o.metrics.flushQueueMs.observe(this.o.nowMs() - this.pendingSinceMs);
    this.pendingSinceMs = null;
    this.o.metrics.pendingSamples.set(this.o.aggregator.pendingSamples);
    if (batch === null && this.flusher.unconfirmedSlots === 0) return Promise.resolve();
    const flight = this.flusher.flush(batch)
      .catch((err: unknown) => this.o.log.error({ err }, 'flush failed'))
      .then(() => {
        this.inFlight = null;
        // Group commit: what was folded while this flush ran goes out now, without another linger.
        const { aggregator } = this.o;
        if (this.flushRequested || (this.o.flushLingerMs !== undefined && (aggregator.hasPending || aggregator.coarseDue(this.o.nowMs())) && !this.stopping)) this.requestFlush();
      });
    this.inFlight = flight;
    return flight;
  }

  private owns(partition: number): boolean {
    return this.owned === null || this.owned.has(partition);
  }

  /** Index of the first message this process has not folded yet (a kept partition may be fetched again from its commit). */
  private firstUnread(partition: number, messages: readonly ConsumedMessage[]): number {
    const resume = this.o.aggregator.resumeOffset(partition);
    if (resume === null || messages.length === 0 || BigInt(messages[0]!.offset) >= resume) return 0;
    let i = 0;
    while (i < messages.length && BigInt(messages[i]!.offset) < resume) i++;
    return i;
  }
}

/** Starts `slot` in the aggregator from what Redis holds of it. */
function loadSlot(aggregator: WindowAggregator, slot: number, stored: StoredSlot): void {
  const resume = stored.resumeOffset === null ? null : BigInt(stored.resumeOffset);
  aggregator.loadPartition(slot, stored.watermarks, resume, stored.closedThrough, stored.coarseWatermarks);
}

/**
 * Waits for `work` and heartbeats the group meanwhile: a flush retried through a
 * Redis failover can outlast the session timeout, and a worker that is only
 * waiting must not be dropped from the group and lose its slots for it.
 * Real time on purpose: heartbeats are due in real time whatever clock the
 * worker was given.
 */
async function heartbeatUntil(work: Promise<void>, control: BatchControl): Promise<void> {
  let settled = false;
  const done = work.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  while (!settled) {
    await Promise.race([done, delay(HEARTBEAT_WHILE_WAITING_MS)]);
    if (!settled && control.isActive()) await control.heartbeat();
  }
  await work;
}
