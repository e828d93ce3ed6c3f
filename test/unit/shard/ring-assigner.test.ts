import { AssignerProtocol, type Assigner, type Cluster, type Logger } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeMemberReport as decodeReport, type MemberReport } from '@ringtail/ring-status';
import { ringAssigner, type GroupPlacement } from '../../../services/shard/src/ring-assigner.ts';

const TOPIC = 'metrics.shard';

function assignerFor(report: MemberReport, slots = 8, placements: GroupPlacement[] = []): Assigner {
  const cluster = { findTopicPartitionMetadata: () => Array.from({ length: slots }, (_, partitionId) => ({ partitionId })) } as unknown as Cluster;
  return ringAssigner({ topic: TOPIC, report: () => report, onPlacement: (p) => placements.push(p) })({ cluster, groupId: 'g', logger: {} as Logger });
}

function decodeAssignment(buffer: Buffer): number[] {
  return AssignerProtocol.MemberAssignment.decode(buffer)?.assignment[TOPIC] ?? [];
}

describe('ringAssigner', () => {
  it('carries each member report in its protocol metadata', () => {
    const report = { worker: 'w1', host: 'h', owned: [3, 1] };
    const { metadata } = assignerFor(report).protocol({ topics: [TOPIC] });
    expect(decodeReport(metadata)).toEqual(report);
  });

  it('continues the placement the members report: a joiner takes slots only from the most loaded', async () => {
    const placements: GroupPlacement[] = [];
    const leader = assignerFor({ worker: 'w0', host: 'h', owned: [] }, 8, placements);
    const meta = (owned: number[]) => assignerFor({ worker: 'x', host: 'h', owned }).protocol({ topics: [TOPIC] }).metadata;
    const result = await leader.assign({
      members: [
        { memberId: 'a', memberMetadata: meta([0, 1, 2, 3, 4]) },
        { memberId: 'b', memberMetadata: meta([5, 6, 7]) },
        { memberId: 'c', memberMetadata: meta([]) },
      ],
      topics: [TOPIC],
    });
    const byMember = new Map(result.map((r) => [r.memberId, decodeAssignment(r.memberAssignment)]));
    expect(byMember.get('a')).toEqual([0, 1, 2]);
    expect(byMember.get('b')).toEqual([5, 6, 7]);
    expect(byMember.get('c')).toEqual([3, 4]);
    expect(placements[0]!.moved).toBe(2);
  });

  it('treats a member whose user data does not parse as owning nothing', async () => {
    const leader = assignerFor({ worker: 'w0', host: 'h', owned: [] }, 4);
    const garbage = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: [TOPIC], userData: Buffer.from('{not json') });
    expect(decodeReport(garbage).owned).toEqual([]);
    expect(decodeReport(Buffer.from([1, 2, 3])).owned).toEqual([]);
    const result = await leader.assign({ members: [{ memberId: 'a', memberMetadata: garbage }], topics: [TOPIC] });
    expect(decodeAssignment(result[0]!.memberAssignment)).toEqual([0, 1, 2, 3]);
  });
});
