import { AssignerProtocol } from 'kafkajs';
import { z } from 'zod';

/**
 * What a shard worker says of itself when it joins the group: the user data
 * of its group-protocol metadata, as JSON. The leader's assigner reads it to
 * continue the placement; `ringtail ring status` reads it to name members.
 */
export interface MemberReport {
  /** SHARD_WORKER_ID: for logs and status only. */
  readonly worker: string;
  readonly host: string;
  /** Slots it still owns from its last assignment; empty when it knows its membership lapsed. */
  readonly owned: readonly number[];
}

const reportSchema = z.object({
  worker: z.string().max(256),
  host: z.string().max(256),
  owned: z.array(z.number().int().nonnegative()).max(65_536),
});

const UNKNOWN_REPORT: MemberReport = { worker: '?', host: '?', owned: [] };

/** Encodes `report` as group-protocol member metadata for `topics`. */
export function encodeMemberMetadata(version: number, topics: string[], report: MemberReport): Buffer {
  return AssignerProtocol.MemberMetadata.encode({ version, topics, userData: Buffer.from(JSON.stringify(report)) });
}

/** A member's report; a member whose user data does not parse (another version, corruption) owns nothing. Never throws. */
export function decodeMemberReport(memberMetadata: Buffer): MemberReport {
  try {
    const metadata = AssignerProtocol.MemberMetadata.decode(memberMetadata);
    if (metadata === null) return UNKNOWN_REPORT;
    const parsed = reportSchema.safeParse(JSON.parse(metadata.userData.toString('utf8')));
    return parsed.success ? parsed.data : UNKNOWN_REPORT;
  } catch {
    return UNKNOWN_REPORT;
  }
}

/** The partitions of `topic` in a member's assignment; none when it does not decode. Never throws. */
export function decodeAssignedSlots(memberAssignment: Buffer, topic: string): number[] {
  try {
    return AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment[topic] ?? [];
  } catch {
    return [];
  }
}
