import type { Admin } from 'kafkajs';
import { decodeAssignedSlots, decodeMemberReport } from './member-report.ts';
import { buildRingStatus, type GroupMember, type RingStatus } from './ring-status.ts';
import type { RingStatusStore } from './status-store.ts';

export interface RingStatusSources {
  /** A connected kafkajs admin client. */
  readonly admin: Admin;
  readonly store: RingStatusStore;
  /** The shard topic and the shard workers' consumer group. */
  readonly topic: string;
  readonly groupId: string;
  readonly nowMs: number;
}

/**
 * The ring as it is now: members and assignments from the Kafka group
 * coordinator (the authority on who owns what), lag from committed offsets and
 * log ends, flush times and rebalances from what the workers report.
 */
export async function readRingStatus(s: RingStatusSources): Promise<RingStatus> {
  const [described, logEnds, committed, selfReports, rebalances] = await Promise.all([
    s.admin.describeGroups([s.groupId]),
    s.admin.fetchTopicOffsets(s.topic),
    s.admin.fetchOffsets({ groupId: s.groupId, topics: [s.topic] }),
    s.store.selfReports(),
    s.store.rebalances(),
  ]);
  const group = described.groups[0];
  const members: GroupMember[] = (group?.members ?? []).map((m) => ({
    memberId: m.memberId,
    clientHost: m.clientHost,
    worker: decodeMemberReport(m.memberMetadata).worker,
    slots: decodeAssignedSlots(m.memberAssignment, s.topic),
  }));
  const committedBySlot = new Map<number, number>();
  for (const p of committed.find((t) => t.topic === s.topic)?.partitions ?? []) committedBySlot.set(p.partition, Number(p.offset));
  const lagBySlot = new Map<number, number>();
  for (const p of logEnds) {
    const from = committedBySlot.get(p.partition) ?? -1;
    // Never committed: everything from the log start is still to be read.
    lagBySlot.set(p.partition, Math.max(0, Number(p.high) - (from >= 0 ? from : Number(p.low))));
  }
  return buildRingStatus({
    slotCount: logEnds.length,
    groupState: group?.state ?? 'Unknown',
    members,
    lagBySlot,
    selfReports,
    rebalances,
    nowMs: s.nowMs,
  });
}
