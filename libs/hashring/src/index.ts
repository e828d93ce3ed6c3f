export { canonicalSeriesKey } from './series-key.ts';
export { seriesIdHex, type SeriesHash } from './series-hash.ts';
export { createSeriesHasher, type SeriesHasher, type Xxh64Api } from './series-hasher.ts';
export type { ReadRing, RingChange } from './read-ring.ts';
export type { RingSnapshot } from './ring-snapshot.ts';
export { SlotRing, type MemberShare } from './slot-ring.ts';
export { placeSlots, type PlacementMember, type SlotPlacement } from './slot-placement.ts';
export { MAX_WEIGHT, MAX_WORKERS, SLOT_BITS, SLOT_COUNT } from './slot-space.ts';
export {
  DuplicateWorkerError,
  EmptyRingError,
  InvalidSnapshotError,
  InvalidPlacementError,
  InvalidWorkerError,
  RingFullError,
  UnknownWorkerError,
  type HashringError,
} from './errors.ts';
