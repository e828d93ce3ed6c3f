import type { Redis } from 'ioredis';
import { SLOT_CLOCK_FIELD, slotOfSeriesId, type RedisKeys } from '@ringtail/model';
import { RedisUnavailableError, ReplicationTimeoutError } from './errors.ts';
import { flushPayload, indexWrites, mergedPlan } from './flush-payload.ts';
import { RESUME_OFFSET_FIELD, flushReply, registerFlushScript, type FlushClient, type FlushOutcome } from './flush-script.ts';
import { KnownWindows, type WritePlan } from './known-windows.ts';
import type { StoredSlot, WindowSink } from './shard-ports.ts';
import { ReplicaWaitPolicy } from './replica-wait-policy.ts';
import type { PartitionBatch } from './flush-batch.ts';
import { COARSE_WATERMARK_PREFIX, NO_WATERMARK } from './watermarks.ts';


export interface RedisWindowSinkOptions {
  readonly keys: RedisKeys;
  /** Replicas that must acknowledge a flush before its Kafka offsets are committed. */
  readonly minReplicas: number;
  readonly waitTimeoutMs: number;
  /** Counts how a flush's windows went to Redis (the shard's metrics). */
  readonly counters?: KnownWindowCounters;
}

/** Counters of how a flush's windows went to Redis. */
export interface KnownWindowCounters {
  readonly windowsWrittenKnown: { inc(n?: number): void };
  readonly windowsMerged: { inc(n?: number): void };
  readonly flushesNotAsKnown: { inc(n?: number): void };
}

/**
 * The WindowSink on Redis: per slot, the series index additions (in
 * IndexWrites' order) and then flush-2.lua in one pipeline (one round trip, in that order on the
 * connection), then WAIT. The index additions carry the namespace's hash tag,
 * the script's keys the slot's, so under Redis Cluster they may live on
 * different nodes; an index entry written for a flush that is then fenced
 * names a series whose windows appear with the flush that wins.
 */
export class RedisWindowSink implements WindowSink {
  private readonly redis: FlushClient;
  private readonly wait: ReplicaWaitPolicy;
  /** What this connection's applied scripts left in each slot; see known-windows.ts. */
  readonly known: KnownWindows;

  constructor(
    redis: Redis,
    private readonly opts: RedisWindowSinkOptions,
  ) {
    this.redis = registerFlushScript(redis);
    this.known = new KnownWindows((seriesId) => slotOfSeriesId(seriesId, opts.keys.slotCount));
    this.wait = new ReplicaWaitPolicy(opts.waitTimeoutMs);
  }

  forgetSlot(slot: number): void {
    this.known.forget(slot);
  }

  async readSlot(slot: number): Promise<StoredSlot> {
    // Read afresh: the worker starts the slot over, and so does what is known of its windows.
    this.known.forget(slot);
    const [stored, closure] = await this.call('HGETALL', () =>
      Promise.all([this.redis.hgetall(this.opts.keys.watermarks(slot)), this.redis.hgetall(this.opts.keys.closure(slot))]),
    );
    const closedThrough = new Map<string, number>();
    for (const [field, value] of Object.entries(closure)) if (field !== SLOT_CLOCK_FIELD) closedThrough.set(field, Number(value));
    const watermarks = new Map<number, number>();
    const coarse = new Map<number, number>();
    let resumeOffset: string | null = null;
    for (const [field, value] of Object.entries(stored)) {
      if (field === RESUME_OFFSET_FIELD) resumeOffset = value;
      else if (field.startsWith(COARSE_WATERMARK_PREFIX)) coarse.set(Number(field.slice(COARSE_WATERMARK_PREFIX.length)), Number(value ?? NO_WATERMARK));
      else watermarks.set(Number(field), Number(value ?? NO_WATERMARK));
    }
    // A raw partition without a coarse field was last written with every resolution at once.
    const coarseWatermarks = new Map(watermarks);
    for (const [rp, o] of coarse) coarseWatermarks.set(rp, o);
    return { watermarks, coarseWatermarks, resumeOffset, closedThrough };
  }

  async apply(batch: PartitionBatch): Promise<FlushOutcome> {
    const slot = batch.shardPartition;
    const all = mergedPlan(this.opts.keys, batch);
    try {
      let plan = this.known.plan(slot, all.merged);
      let reply = flushReply(await this.send(batch, plan, true), slot);
      if (reply.outcome === 'not-as-known') {
        // Someone else wrote the slot, or a failover lost a write: merge in Redis, as deltas.
        this.known.forget(slot);
        this.opts.counters?.flushesNotAsKnown.inc();
        plan = all;
        reply = flushReply(await this.send(batch, plan, false), slot);
      }
      if (reply.outcome === 'applied') {
        this.known.applied(slot, plan, reply.applied, batch);
        this.opts.counters?.windowsWrittenKnown.inc(plan.known.length);
        this.opts.counters?.windowsMerged.inc(plan.merged.length);
        return 'applied';
      }
      // Our first attempt landed unseen: what it merged is not known here.
      this.known.forget(slot);
      return 'already-applied';
    } catch (err) {
      // The script may or may not have run.
      this.known.forget(slot);
      throw err;
    }
  }

  /** The series index additions (the first time only) and the slot's script, in one pipeline. */
  private async send(batch: PartitionBatch, plan: WritePlan, withIndex: boolean): Promise<unknown> {
    const key = this.opts.keys.watermarks(batch.shardPartition);
    const closureKey = this.opts.keys.closure(batch.shardPartition);
    const index = withIndex ? indexWrites(this.opts.keys, batch) : null;
    return this.call('flush', async () => {
      const payload = flushPayload(this.opts.keys, batch, plan);
      if (index === null || (index.sadd.length === 0 && index.hset.length === 0 && index.expiry.length === 0)) return this.redis.ringtailFlush(key, closureKey, payload);
      const pipeline = this.redis.pipeline();
      if (index.expiry.length > 0) pipeline.call('ZADD', ...index.expiry);
      for (const args of index.hset) pipeline.hset(args[0]!, ...args.slice(1));
      for (const args of index.sadd) pipeline.sadd(args[0]!, ...args.slice(1));
      (pipeline as unknown as { ringtailFlush(k: string, c: string, p: string): void }).ringtailFlush(key, closureKey, payload);
      const replies = (await pipeline.exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      return replies[replies.length - 1]?.[1];
    });
  }

  /**
   * WAITs for `minReplicas`; throws ReplicationTimeoutError if fewer took the writes.
   * After a shortfall or a failed call (a failover: the promoted primary has no
   * replica until the old one is back and resynchronised) it first asks the
   * primary how many replicas are online and fails at once while WAIT cannot
   * succeed, and otherwise WAITs briefly (ReplicaWaitPolicy), instead of
   * spending the whole timeout on every flush: flushes keep their pace, their
   * writes stay visible, and only their offsets wait for a WAIT that succeeds.
   */
  async awaitReplicas(): Promise<void> {
    const { minReplicas } = this.opts;
    if (minReplicas === 0) return;
    let waited = false;
    try {
      if (this.wait.checkOnlineFirst) {
        const online = await this.call('INFO', async () => onlineReplicas(await this.redis.info('replication')));
        if (online < minReplicas) throw new ReplicationTimeoutError(online, minReplicas, null);
      }
      const timeoutMs = this.wait.nextTimeoutMs();
      const acknowledged = await this.call('WAIT', () => this.redis.wait(minReplicas, timeoutMs));
      waited = true;
      if (acknowledged < minReplicas) throw new ReplicationTimeoutError(acknowledged, minReplicas, timeoutMs);
      this.wait.succeeded();
    } catch (err) {
      // A failed call has counted itself.
      if (!(err instanceof RedisUnavailableError)) this.wait.failed(waited);
      throw err;
    }
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      // A lost connection may be a failover, after which the new primary has no replica yet:
      // the next WAIT asks first rather than spending its whole timeout at the worst moment.
      this.wait.failed(false);
      throw new RedisUnavailableError(operation, { cause });
    }
  }
}

/** Replicas in state `online` in the primary's `INFO replication` (ones still syncing cannot acknowledge a WAIT). */
export function onlineReplicas(info: string): number {
  let online = 0;
  for (const line of info.split('\n')) if (/^slave\d+:.*\bstate=online\b/.test(line)) online += 1;
  return online;
}
