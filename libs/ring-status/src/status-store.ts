import type { Redis } from 'ioredis';
import type { RedisKeys } from '@ringtail/model';
import { memberSelfReportSchema, rebalanceRecordSchema, type MemberSelfReport, type RebalanceRecord } from './ring-status.ts';

/** Rebalances kept for status; older ones are trimmed. */
export const REBALANCES_KEPT = 20;

/** Writes and reads what shard workers report of themselves and of the group's rebalances. */
export interface RingStatusStore {
  publish(report: MemberSelfReport): Promise<void>;
  /** Records a rebalance (group leader only) and forgets the reports of members no longer in the group. */
  recordRebalance(record: RebalanceRecord, memberIds: readonly string[]): Promise<void>;
  selfReports(): Promise<MemberSelfReport[]>;
  rebalances(): Promise<RebalanceRecord[]>;
}

/** The store on Redis: one hash of member reports and one capped list of rebalances, under the namespace's keys. */
export function redisRingStatusStore(redis: Redis, keys: RedisKeys): RingStatusStore {
  return {
    async publish(report) {
      await redis.hset(keys.ringMembers, report.memberId, JSON.stringify(report));
    },
    async recordRebalance(record, memberIds) {
      const live = new Set(memberIds);
      const gone = (await redis.hkeys(keys.ringMembers)).filter((id) => !live.has(id));
      const tx = redis.multi().lpush(keys.ringRebalances, JSON.stringify(record)).ltrim(keys.ringRebalances, 0, REBALANCES_KEPT - 1);
      if (gone.length > 0) tx.hdel(keys.ringMembers, ...gone);
      await tx.exec();
    },
    async selfReports() {
      const stored = await redis.hvals(keys.ringMembers);
      return stored.flatMap((json) => parsed(memberSelfReportSchema, json));
    },
    async rebalances() {
      const stored = await redis.lrange(keys.ringRebalances, 0, REBALANCES_KEPT - 1);
      return stored.flatMap((json) => parsed(rebalanceRecordSchema, json));
    },
  };
}

/** Entries written by another version or damaged are left out of the status rather than failing it. */
function parsed<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, json: string): T[] {
  try {
    const r = schema.safeParse(JSON.parse(json));
    return r.success ? [r.data] : [];
  } catch {
    return [];
  }
}
