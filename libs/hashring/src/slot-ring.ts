import { EmptyRingError } from './errors.ts';
import type { ReadRing, RingChange } from './read-ring.ts';
import { decodeSnapshot, encodeSnapshot, type RingSnapshot } from './ring-snapshot.ts';
import { SlotAllocator, type SlotState } from './slot-allocator.ts';
import type { SeriesHash } from './series-hash.ts';
import { SLOT_COUNT, SLOT_SHIFT } from './slot-space.ts';

/** One member's exact part of the hash space. */
export interface MemberShare {
  readonly worker: string;
  readonly weight: number;
  /** Slots owned, out of SLOT_COUNT. */
  readonly slots: number;
  /** slots / SLOT_COUNT: the exact fraction of all series hashes this worker owns. */
  readonly share: number;
}

/**
 * Consistent hash ring over a fixed table of 65,536 slots (the top 16 bits of
 * the series hash pick the slot; the table names the slot's owner).
 *
 * Immutable: `join` and `leave` return a new ring and leave this one as it was,
 * so readers can keep using the ring of the epoch they are in.
 *
 * Guarantees (see `SlotAllocator` for the rule):
 * - balance: each worker owns slots in proportion to its weight; with equal
 *   weights ⌊S/N⌋ or ⌈S/N⌉ of S = 65,536 slots, so peak/mean ≤ 1 + N/S exactly;
 * - join moves only slots to the joiner (≈ 1/(N+1) of all series);
 * - leave of any worker moves only that worker's slots;
 * - the owner of a key depends on the ordered history of joins and leaves
 *   (Ringtail's epochs); `snapshot()` / `fromSnapshot()` carry the exact table
 *   so every process agrees without replaying history.
 */
export class SlotRing implements ReadRing {
  readonly size: number;
  private readonly ids: readonly string[];
  private readonly weights: readonly number[];
  private readonly table: Uint16Array;

  private constructor(state: SlotState) {
    this.ids = Object.freeze([...state.ids]);
    this.weights = Object.freeze([...state.weights]);
    this.table = state.table;
    this.size = this.ids.length;
  }

  /** A ring with no members: every lookup throws `EmptyRingError`. */
  static empty(): SlotRing {
    return new SlotRing(SlotAllocator.empty().state());
  }

  /**
   * The ring after applying `changes` in order to an empty ring. Every process
   * that replays the same history gets the same ring.
   * @throws DuplicateWorkerError, UnknownWorkerError, InvalidWorkerError, RingFullError
   */
  static fromHistory(changes: readonly RingChange[]): SlotRing {
    const allocator = SlotAllocator.empty();
    for (const change of changes) applyChange(allocator, change);
    return new SlotRing(allocator.state());
  }

  /** Shorthand for `fromHistory` of equal-weight joins of `workers`, in order. */
  static of(workers: readonly string[]): SlotRing {
    return SlotRing.fromHistory(workers.map((worker) => ({ op: 'join', worker })));
  }

  /**
   * Rebuilds the exact ring a `snapshot()` came from (also after a JSON round trip).
   * @throws InvalidSnapshotError
   */
  static fromSnapshot(snapshot: RingSnapshot): SlotRing {
    return new SlotRing(decodeSnapshot(snapshot));
  }

  ownerOf(h: SeriesHash): string {
    return this.ownerOfWords(h.hi, h.lo);
  }

  ownerOfWords(hi: number, _lo: number): string {
    const owner = this.ids[this.table[hi >>> SLOT_SHIFT] as number];
    if (owner === undefined) throw new EmptyRingError();
    return owner;
  }

  /**
   * Owner of slot `slot` (0..SLOT_COUNT-1).
   * @throws EmptyRingError when the ring has no members.
   */
  ownerOfSlot(slot: number): string {
    const owner = this.ids[this.table[slot] as number];
    if (owner === undefined) throw new EmptyRingError();
    return owner;
  }

  members(): readonly string[] {
    return this.ids;
  }

  /** True when `worker` is a member. */
  has(worker: string): boolean {
    return this.ids.includes(worker);
  }

  /**
   * A new ring with `worker` added (weight: integer ≥ 1, default 1).
   * @throws DuplicateWorkerError, InvalidWorkerError, RingFullError
   */
  join(worker: string, weight = 1): SlotRing {
    return this.apply([{ op: 'join', worker, weight }]);
  }

  /**
   * A new ring without `worker`; leaving the last worker gives an empty ring.
   * @throws UnknownWorkerError
   */
  leave(worker: string): SlotRing {
    return this.apply([{ op: 'leave', worker }]);
  }

  /** A new ring with `changes` applied in order (one allocation pass for a batch of epochs). */
  apply(changes: readonly RingChange[]): SlotRing {
    const allocator = SlotAllocator.from(this.state());
    for (const change of changes) applyChange(allocator, change);
    return new SlotRing(allocator.state());
  }

  /** Exact hash-space share of each member, in join order. */
  shares(): readonly MemberShare[] {
    const counts = new Array<number>(this.size).fill(0);
    if (this.size > 0) for (let s = 0; s < SLOT_COUNT; s++) counts[this.table[s] as number]! += 1;
    return this.ids.map((worker, i) => ({
      worker,
      weight: this.weights[i] as number,
      slots: counts[i] as number,
      share: (counts[i] as number) / SLOT_COUNT,
    }));
  }

  /** Plain JSON-serialisable state; `SlotRing.fromSnapshot` rebuilds this exact ring. */
  snapshot(): RingSnapshot {
    return encodeSnapshot(this.state());
  }

  private state(): SlotState {
    return { ids: this.ids, weights: this.weights, table: this.table };
  }
}

function applyChange(allocator: SlotAllocator, change: RingChange): void {
  if (change.op === 'join') allocator.join(change.worker, change.weight ?? 1);
  else allocator.leave(change.worker);
}
