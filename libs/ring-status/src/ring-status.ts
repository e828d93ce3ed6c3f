import { z } from 'zod';

/** What a shard worker publishes of itself (to Redis, about once a second). */
export const memberSelfReportSchema = z.object({
  memberId: z.string(),
  worker: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** Kafka group generation of its current assignment. */
  generation: z.number().int(),
  /** Epoch ms of its last durable flush (null before the first). */
  lastFlushAtMs: z.number().nullable(),
  /** Epoch ms of this report. */
  reportedAtMs: z.number(),
});
export type MemberSelfReport = z.infer<typeof memberSelfReportSchema>;

/** One rebalance as the group leader saw it. */
export const rebalanceRecordSchema = z.object({
  atMs: z.number(),
  generation: z.number().int(),
  leader: z.string(),
  members: z.number().int(),
  slotsMoved: z.number().int(),
  /** Join + sync as the leader measured it, in ms. */
  durationMs: z.number(),
});
export type RebalanceRecord = z.infer<typeof rebalanceRecordSchema>;

/** A member as the Kafka group coordinator knows it. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientHost: string;
  /** From its protocol user data; '?' when it could not be read. */
  readonly worker: string;
  readonly slots: readonly number[];
}

export interface RingStatusInput {
  readonly slotCount: number;
  /** Kafka's group state: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  readonly groupState: string;
  readonly members: readonly GroupMember[];
  /** Records behind the high watermark, per slot (committed offset to log end). */
  readonly lagBySlot: ReadonlyMap<number, number>;
  readonly selfReports: readonly MemberSelfReport[];
  readonly rebalances: readonly RebalanceRecord[];
  readonly nowMs: number;
}

export interface MemberStatus {
  readonly memberId: string;
  readonly worker: string;
  readonly host: string;
  readonly slots: readonly number[];
  /** slots / slot count. */
  readonly share: number;
  readonly lag: number;
  /** Null when the member never reported a flush. */
  readonly lastFlushAgeMs: number | null;
}

/** What `ringtail ring status` and every shard worker's /ring page show. */
export interface RingStatus {
  readonly slotCount: number;
  readonly groupState: string;
  /** Highest generation a member reports; null when none reported yet. */
  readonly generation: number | null;
  readonly members: readonly MemberStatus[];
  readonly unownedSlots: readonly number[];
  readonly totalLag: number;
  readonly rebalances: readonly RebalanceRecord[];
}

/** Joins what Kafka knows (members, assignments, offsets) with what members report (flushes, generation). Pure. */
export function buildRingStatus(input: RingStatusInput): RingStatus {
  const reports = new Map(input.selfReports.map((r) => [r.memberId, r]));
  const owned = new Set<number>();
  const members = [...input.members]
    .sort((a, b) => (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : a.memberId < b.memberId ? -1 : 1))
    .map((m): MemberStatus => {
      for (const s of m.slots) owned.add(s);
      const report = reports.get(m.memberId);
      const flushedAt = report?.lastFlushAtMs ?? null;
      return {
        memberId: m.memberId,
        worker: report?.worker ?? m.worker,
        host: report?.host ?? m.clientHost,
        slots: [...m.slots].sort((a, b) => a - b),
        share: input.slotCount === 0 ? 0 : m.slots.length / input.slotCount,
        lag: m.slots.reduce((sum, s) => sum + (input.lagBySlot.get(s) ?? 0), 0),
        lastFlushAgeMs: flushedAt === null ? null : Math.max(0, input.nowMs - flushedAt),
      };
    });
  const unownedSlots: number[] = [];
  for (let s = 0; s < input.slotCount; s++) if (!owned.has(s)) unownedSlots.push(s);
  let generation: number | null = null;
  for (const m of input.members) {
    const g = reports.get(m.memberId)?.generation;
    if (g !== undefined && (generation === null || g > generation)) generation = g;
  }
  let totalLag = 0;
  for (const lag of input.lagBySlot.values()) totalLag += lag;
  return { slotCount: input.slotCount, groupState: input.groupState, generation, members, unownedSlots, totalLag, rebalances: input.rebalances };
}
