import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { placeSlots } from '@ringtail/hashring';
import { decodeMemberReport, encodeMemberMetadata, type MemberReport } from '@ringtail/ring-status';

/** The group protocol name every shard worker offers; members of other versions cannot share a group. */
export const RING_ASSIGNER_NAME = 'ringtail-slot-ring';
const RING_ASSIGNER_VERSION = 1;

/** One member's part of a placement the leader computed. */
export interface PlacedMember extends MemberReport {
  readonly memberId: string;
  readonly slots: readonly number[];
}

/** A placement the leader computed, for status and metrics. */
export interface GroupPlacement {
  readonly slotCount: number;
  readonly members: readonly PlacedMember[];
  /** Slots whose owner changed (a slot nobody reported owning counts as moved). */
  readonly moved: number;
  readonly ignoredClaims: number;
}

export interface RingAssignerOptions {
  /** The shard topic: its partitions are the ring's slots. */
  readonly topic: string;
  /** This member's report, read at every (re)join. */
  readonly report: () => MemberReport;
  /** Called on the group leader with each placement it hands out. */
  readonly onPlacement: (placement: GroupPlacement) => void;
}

/**
 * The kafkajs partition assigner of the shard group: members report the slots
 * they own (user data), and the group leader places the shard topic's
 * partitions with `placeSlots`, so whichever member leads continues the
 * previous placement. A thin adapter: the rule lives in libs/hashring.
 */
export function ringAssigner(options: RingAssignerOptions): PartitionAssigner {
  return ({ cluster }) => ({
    name: RING_ASSIGNER_NAME,
    version: RING_ASSIGNER_VERSION,

    protocol({ topics }) {
      return { name: RING_ASSIGNER_NAME, metadata: encodeMemberMetadata(RING_ASSIGNER_VERSION, topics, options.report()) };
    },

    async assign({ members }) {
      const slotCount = cluster.findTopicPartitionMetadata(options.topic).length;
      const reports = new Map(members.map((m) => [m.memberId, decodeMemberReport(m.memberMetadata)]));
      const placement = placeSlots(
        slotCount,
        [...reports].map(([id, r]) => ({ id, owned: r.owned })),
      );
      const placed = [...placement.assignment].map(([memberId, slots]) => ({ memberId, ...reports.get(memberId)!, slots }));
      options.onPlacement({ slotCount, members: placed, moved: placement.moved, ignoredClaims: placement.ignoredClaims });
      return placed.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: RING_ASSIGNER_VERSION,
          assignment: { [options.topic]: [...m.slots] },
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
