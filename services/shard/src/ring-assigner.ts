import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { z } from 'zod';
import { placeSlots } from '@ringtail/hashring';

/** The group protocol name every shard worker offers; members of other versions cannot share a group. */
export const RING_ASSIGNER_NAME = 'ringtail-slot-ring';
const RING_ASSIGNER_VERSION = 1;

/** What a member says of itself when it joins: carried in the group protocol's user data, as JSON. */
export interface MemberReport {
  /** SHARD_WORKER_ID: for logs and status only. */
  readonly worker: string;
  readonly host: string;
  /** Slots it still owns from its last assignment; empty when it knows its membership lapsed. */
  readonly owned: readonly number[];
}

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

const reportSchema = z.object({
  worker: z.string().max(256),
  host: z.string().max(256),
  owned: z.array(z.number().int().nonnegative()).max(65_536),
});

const UNKNOWN_REPORT: MemberReport = { worker: '?', host: '?', owned: [] };

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
      const userData = Buffer.from(JSON.stringify(options.report()));
      return { name: RING_ASSIGNER_NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: RING_ASSIGNER_VERSION, topics, userData }) };
    },

    async assign({ members }) {
      const slotCount = cluster.findTopicPartitionMetadata(options.topic).length;
      const reports = new Map(members.map((m) => [m.memberId, decodeReport(m.memberMetadata)]));
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

/** A member's report; a member whose user data does not parse (another version, corruption) owns nothing. */
export function decodeReport(memberMetadata: Buffer): MemberReport {
  try {
    const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
    if (metadata === null) return UNKNOWN_REPORT;
    const parsed = reportSchema.safeParse(JSON.parse(metadata.userData.toString('utf8')));
    return parsed.success ? parsed.data : UNKNOWN_REPORT;
  } catch {
    return UNKNOWN_REPORT;
  }
}
