import { setTimeout as delay } from 'node:timers/promises';
import { ShardRecordDecoder, backoffDelayMs, type BackoffPolicy } from '@ringtail/model';
import type { Logger } from '@ringtail/runtime';
import { isRetriable } from './errors.ts';
import type { FlushOutcome } from './flush-script.ts';
import { SerialQueue } from './serial-queue.ts';
import type { ShardMetrics } from './shard-metrics.ts';
import { UnconfirmedBatches } from './unconfirmed-batches.ts';
import type { FlushBatch, LateSample, PartitionBatch, WindowAggregator } from './window-aggregator.ts';

/** What Redis holds of one slot's progress. */
export interface StoredSlot {
  /** Raw partition → highest raw offset applied in the finest resolution. */
  readonly watermarks: Map<number, number>;
  /** Raw partition → highest raw offset applied in the coarse resolutions (absent: `watermarks`). */
  readonly coarseWatermarks?: Map<number, number>;
  /**
   * Shard-topic offset after the last record both watermarks cover, or null
   * before the slot's first flush. Every earlier record is applied or a
   * duplicate, so a new owner starts here rather than at the (older) Kafka commit.
   */
  readonly resumeOffset: string | null;
  /** Resolution name → closed-through: windows starting before it are closed (absent: none). */
  readonly closedThrough?: ReadonlyMap<string, number>;
}

/** Where flushed windows go; Redis in production, an in-memory fake in tests. */
export interface WindowSink {
  /** The progress Redis holds for one slot (shard-topic partition). */
  readSlot(slot: number): Promise<StoredSlot>;
  /**
   * Applies one slot's batch atomically; throws FlushFencedError if a watermark holds neither
   * `expected` nor `next` (moved by someone else, or a write lost in a failover).
   */
  apply(batch: PartitionBatch): Promise<FlushOutcome>;
  /** Resolves once replicas hold every write this connection made so far; throws a retriable error otherwise. */
  awaitReplicas(): Promise<void>;
  /** Drops what the sink keeps about a slot this worker no longer owns. */
  forgetSlot?(slot: number): void;
}

/** Where samples whose windows are closed go: the DLQ. */
export interface LateSampleSink {
  /** Resolves once every sample is durably recorded (Kafka acks -1); throws a retriable error otherwise. */
  reject(samples: readonly LateSample[]): Promise<void>;
}

/** A shard-topic record that does not decode. */
export interface CorruptRecord {
  readonly shardTopic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: Buffer;
  readonly reason: string;
}

/** Where undecodable shard records go: the DLQ. */
export interface CorruptRecordSink {
  /** Resolves once the record is durably recorded (Kafka acks -1); throws a retriable error otherwise. */
  reject(record: CorruptRecord): Promise<void>;
}

export interface CompactionResult {
  /** Hot windows moved into blocks. */
  readonly windows: number;
  /** Blocks written. */
  readonly blocks: number;
  /** Blocks skipped because another writer changed them meanwhile (their windows stay hot until the next pass). */
  readonly moved: number;
  /** Blocks left alone because their stored bytes do not decode, with the reason. */
  readonly corrupt: readonly string[];
}

/** Compaction of one slot's closed windows into blocks (Redis in production). */
export interface WindowCompactor {
  /**
   * Advances the slot's closed-through from its clock, never past `caps`
   * (resolution → earliest window start still unflushed here), and returns the
   * closed-through of every resolution that has one. Idempotent.
   */
  close(slot: number, caps: ReadonlyMap<string, number>): Promise<Map<string, number>>;
  /** Moves hot windows starting before `closedThrough` into their blocks. Idempotent; safe beside another compactor. */
  move(slot: number, closedThrough: ReadonlyMap<string, number>): Promise<CompactionResult>;
}

/** The consumer-side operations the worker needs from Kafka. */
export interface ShardConsumerPort {
  commit(shardTopic: string, offsets: readonly { partition: number; offset: string }[]): Promise<void>;
  /** Re-reads a partition from `offset` (after a fenced flush dropped its deltas). */
  seek(shardTopic: string, partition: number, offset: string): void;
}

export interface ConsumedMessage {
  readonly offset: string;
  readonly value: Buffer | null;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** False once the batch is stale (rebalance, seek) or the consumer stops. */
  isActive(): boolean;
}

export interface ShardWorkerOptions {
  readonly shardTopic: string;
  readonly aggregator: WindowAggregator;
  readonly sink: WindowSink;
  /** Receives samples whose window compaction closed in every resolution, before the batch covering them is applied. */
  readonly lateSamples: LateSampleSink;
  /** Receives undecodable records before any later commit can pass them; absent: they are only logged and counted. */
  readonly corruptRecords?: CorruptRecordSink;
  /** Absent: this worker never compacts (another process, or nobody, does). */
  readonly compactor?: WindowCompactor;
  readonly consumer: ShardConsumerPort;
  readonly metrics: ShardMetrics;
  readonly log: Logger;
  readonly flushMaxSamples: number;
  /**
   * Set: a worker with no flush in flight flushes records this long (ms) after
   * they were folded, and a flush that finds records pending when it ends is
   * followed at once by the next (group commit). Absent: flushes start only
   * when `requestFlush` is called (a timer) or FLUSH_MAX_SAMPLES is reached.
   */
  readonly flushLingerMs?: number;
  readonly retry: BackoffPolicy;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Called after each flush whose writes are durable and whose offsets were committed. */
  readonly onFlushed?: () => void;
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
  private readonly unconfirmed = new UnconfirmedBatches();
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

  constructor(private readonly o: ShardWorkerOptions) {}

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
        const stored = await this.retrying('read watermarks', () => this.o.sink.readSlot(partition));
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
          if (dlq) await this.retrying('dlq', () => dlq.reject(corrupt));
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
      const done = await this.queue.run(async () => !this.o.aggregator.hasPending && !this.o.aggregator.hasCoarsePending && this.unconfirmed.size === 0);
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
        this.unconfirmed.delete(p);
      }
      for (const [p] of [...this.unconfirmed.entries()]) if (!owned.has(p)) this.unconfirmed.delete(p);
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
          this.countFailure(err);
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
        this.countFailure(err);
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
    if (batch === null && this.unconfirmed.size === 0) return Promise.resolve();
    const flight = this.flushBatch(batch)
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

  /** Applies `batch` (plus checks of earlier unconfirmed writes), WAITs, and commits what is durable. */
  private async flushBatch(batch: FlushBatch | null): Promise<void> {
    const startedMs = this.o.nowMs();
    const current = batch?.partitions ?? [];
    const late = current.flatMap((b) => b.late);
    const phase = this.phaseTimer();
    // Before the watermarks pass them: a crash in between re-reads them and records them again, never loses them.
    if (late.length > 0) {
      await this.retrying('dlq', () => this.o.lateSamples.reject(late));
      phase('dlq');
    }
    const toApply = this.unconfirmed.withConfirmation(current);
    this.unconfirmed.add(current.map((b) => ({ ...b, windows: [] })));
    const wrote = await this.retrying('flush', () => this.applyAll(toApply));
    phase('scripts');
    if (wrote) {
      const waitStartedMs = this.o.nowMs();
      try {
        await this.o.sink.awaitReplicas().finally(() => this.o.metrics.replicaWaitDurationMs.observe(this.o.nowMs() - waitStartedMs));
        // Observed above: the commit phase starts here.
        phase(null);
      } catch (err) {
        // The writes stay on the primary (AOF) and readable; only the commits wait for a later WAIT.
        this.countFailure(err);
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
    else this.countFailure(err);
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

  private countFailure(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    this.o.metrics.flushFailures.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
  }

  /** Runs `op` until it succeeds or fails with a non-retriable error; never gives up on transient faults. */
  private async retrying<T>(operation: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (!isRetriable(err)) throw err;
        this.countFailure(err);
        const delayMs = backoffDelayMs(this.o.retry, attempt, this.o.random());
        this.o.log.warn({ err, operation, attempt, delayMs }, 'redis operation failed, retrying');
        await this.o.sleep(delayMs);
      }
    }
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
