import type { Consumer, Kafka } from 'kafkajs';
import type { RingStatusStore } from '@ringtail/ring-status';
import { CrashSupervisor, type Logger, type MetricsRegistry } from '@ringtail/runtime';
import { kafkaShardConsumer } from './kafka-shard-consumer.ts';
import { ringAssigner, type GroupPlacement } from './ring-assigner.ts';
import type { ShardMetrics } from './shard-metrics.ts';
import type { ShardConsumerPort } from './shard-ports.ts';
import type { ShardWorker } from './shard-worker.ts';

export interface ShardGroupOptions {
  readonly kafka: Kafka;
  /** The shard topic; its partitions are the ring's slots. */
  readonly topic: string;
  readonly groupId: string;
  /** SHARD_WORKER_ID and host name: for logs and status only. */
  readonly workerId: string;
  readonly host: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** How often this member publishes its status (flush time, generation) for `ringtail ring status`. */
  readonly statusIntervalMs: number;
  readonly metrics: ShardMetrics;
  /** Where the consumer's crash supervisor registers its metrics. */
  readonly registry: MetricsRegistry;
  readonly status: RingStatusStore;
  readonly log: Logger;
  readonly pid: number;
  /** Epoch ms of the worker's last durable flush, null before the first. */
  readonly lastFlushAtMs: () => number | null;
  /** Wall clock, epoch ms: session-lapse checks and status timestamps. */
  readonly clockMs: () => number;
}

/** A shard worker's membership of the shard consumer group. */
export interface ShardGroup {
  /** Commits and seeks on the group's consumer, for the worker. */
  readonly consumer: ShardConsumerPort;
  /** Joins the group and feeds `worker`; resolves once consuming has started. */
  start(worker: ShardWorker): Promise<void>;
  /** True between an assignment and the next rebalance or crash. */
  isJoined(): boolean;
  /** Where the consumer stands, for /readyz: running, rebalancing, restarting after a crash (attempt, error)… */
  describe(): string;
  /** Stops consuming, flushes, WAITs and commits every owned slot, then leaves the group. */
  stop(): Promise<void>;
}

/**
 * Runs the shard worker as one member of the shard group: Kafka's group
 * coordinator decides who is a member, the ring assigner decides which slots
 * each member owns, and every assignment is handed to the worker, which keeps
 * what it still owns and drops what it lost.
 */
export function shardGroup(o: ShardGroupOptions): ShardGroup {
  let owned: number[] = [];
  let joined = false;
  let memberId: string | null = null;
  let generation = -1;
  // Last answer from the coordinator (join or heartbeat). A member silent for longer than the
  // session timeout (a paused process) has been dropped: it claims nothing when it rejoins,
  // so the slots stay with whoever took them meanwhile.
  let lastContactMs = o.clockMs();
  // Set when this member rejoins after its membership lapsed: whatever it still holds is stale.
  let lapsed = false;
  let placement: GroupPlacement | null = null;
  let pendingRebalance: { atMs: number; durationMs: number; placement: GroupPlacement } | null = null;
  let worker: ShardWorker | null = null;

  const consumer: Consumer = o.kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    partitionAssigners: [
      ringAssigner({
        topic: o.topic,
        report: () => {
          if (o.clockMs() - lastContactMs > o.sessionTimeoutMs) lapsed = true;
          return { worker: o.workerId, host: o.host, owned: lapsed ? [] : owned };
        },
        onPlacement: (p) => {
          placement = p;
          o.metrics.slotsMoved.inc(p.moved);
        },
      }),
    ],
  });

  consumer.on(consumer.events.REBALANCING, () => {
    joined = false;
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const { payload } = e;
    owned = [...(payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
    memberId = payload.memberId;
    joined = true;
    lastContactMs = o.clockMs();
    o.metrics.rebalances.inc();
    o.metrics.rebalanceDurationMs.observe(payload.duration);
    o.metrics.slotsOwned.set(owned.length);
    if (payload.isLeader && placement !== null) pendingRebalance = { atMs: o.clockMs(), durationMs: payload.duration, placement };
    placement = null;
    if (lapsed) {
      // Others owned these slots meanwhile: start every slot afresh from Redis and the last commit.
      void worker?.assign([]);
      lapsed = false;
    }
    void worker?.assign(owned).then((change) => o.log.info({ memberId, slots: owned.length, ...change }, 'slots assigned'));
  });
  consumer.on(consumer.events.HEARTBEAT, (e) => {
    lastContactMs = o.clockMs();
    generation = e.payload.groupGenerationId;
    if (pendingRebalance !== null) recordRebalance(pendingRebalance);
    pendingRebalance = null;
  });
  consumer.on(consumer.events.CRASH, (e) => {
    joined = false;
    owned = [];
    void worker?.assign([]);
    o.log.error({ err: e.payload.error, restart: e.payload.restart }, 'shard consumer crashed');
  });

  const recordRebalance = (r: NonNullable<typeof pendingRebalance>) => {
    const record = { atMs: r.atMs, generation, leader: o.workerId, members: r.placement.members.length, slotsMoved: r.placement.moved, durationMs: r.durationMs };
    o.status.recordRebalance(record, r.placement.members.map((m) => m.memberId)).catch((err: unknown) => o.log.warn({ err }, 'rebalance not recorded for status'));
  };

  const publishStatus = () => {
    if (memberId === null) return;
    const report = { memberId, worker: o.workerId, host: o.host, pid: o.pid, generation, lastFlushAtMs: o.lastFlushAtMs(), reportedAtMs: o.clockMs() };
    o.status.publish(report).catch((err: unknown) => o.log.debug({ err }, 'status not published'));
  };
  let statusTimer: NodeJS.Timeout | undefined;
  let supervisor: CrashSupervisor | undefined;

  return {
    consumer: kafkaShardConsumer(consumer),
    async start(w) {
      worker = w;
      const run = () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
            const newest = batch.messages[batch.messages.length - 1];
            if (newest !== undefined) o.metrics.recordAgeAtFetchMs.observe(Math.max(0, o.clockMs() - Number(newest.timestamp)));
            await w.handleBatch(batch.partition, batch.messages, { heartbeat, isActive: () => isRunning() && !isStale() });
            o.metrics.consumerLag.set({ partition: String(batch.partition) }, Number(batch.offsetLag()));
          },
        });
      // Restarted in-process after a crash kafkajs does not recover from: the CRASH handler
      // above already dropped every slot, so the rejoined member starts them afresh.
      supervisor = CrashSupervisor.restartingConsumer(consumer, run, { name: 'shard consumer', metrics: o.registry, metricPrefix: 'ringtail_shard_consumer', log: o.log });
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      await run();
      statusTimer = setInterval(publishStatus, o.statusIntervalMs);
      statusTimer.unref();
    },
    isJoined: () => joined,
    describe: () => supervisor?.describe() ?? 'shard consumer not started',
    async stop() {
      supervisor?.stop();
      clearInterval(statusTimer);
      worker?.beginStop();
      // Flush and commit while still a member: commits after leaving the group are rejected,
      // and the next owners then start exactly where this worker stopped (nothing replayed).
      await worker?.flush();
      await consumer.disconnect();
    },
  };
}
