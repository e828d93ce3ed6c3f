export { decodeAssignedSlots, decodeMemberReport, encodeMemberMetadata, type MemberReport } from './member-report.ts';
export {
  buildRingStatus,
  memberSelfReportSchema,
  rebalanceRecordSchema,
  type GroupMember,
  type MemberSelfReport,
  type MemberStatus,
  type RebalanceRecord,
  type RingStatus,
  type RingStatusInput,
} from './ring-status.ts';
export { readRingStatus, type RingStatusSources } from './ring-status-reader.ts';
export { formatRingTable, renderRingPage, slotRanges } from './ring-render.ts';
export { REBALANCES_KEPT, redisRingStatusStore, type RingStatusStore } from './status-store.ts';
