import { DuplicateWorkerError, EmptyRingError, InvalidPlacementError } from './errors.ts';

/** One live member of the group and the slots it reports owning (its previous assignment, or none). */
export interface PlacementMember {
  readonly id: string;
  readonly owned: readonly number[];
}

/** Where every slot goes after a membership change. */
export interface SlotPlacement {
  /** Member id → its slots, ascending. Every member is present (possibly with none); every slot appears exactly once. */
  readonly assignment: ReadonlyMap<string, readonly number[]>;
  /** Slots whose new owner is not the member that reported owning them (an unclaimed slot counts as moved). */
  readonly moved: number;
  /** Claims left out: out of range, repeated, or a slot another member (earlier by id) already claimed. */
  readonly ignoredClaims: number;
}

/**
 * Places `slotCount` slots on `members` with the least movement that keeps
 * the placement balanced:
 *
 * - every member ends with ⌊P/N⌋ or ⌈P/N⌉ slots (P slots, N members);
 * - a member keeps every slot it reports owning unless it holds more than its
 *   share: then it gives up its highest-numbered slots, down to its share;
 * - slots nobody keeps (a leaver's, a dead member's, those given up) go, in
 *   ascending order, to the least loaded member still under its share.
 *
 * Who may hold ⌈P/N⌉: the members already holding the most (ties: lower id),
 * so after a join only the most loaded give slots, only to the joiner, and
 * after a leave nobody who stays gives anything. Claims come from the network
 * (each member's group-protocol user data) and are never trusted to be
 * consistent: when two members claim one slot, the one with the lower id keeps it.
 *
 * Pure and deterministic: the same members and claims, in any order, give the
 * same placement.
 * @throws EmptyRingError with no members, DuplicateWorkerError for a repeated id,
 *   InvalidPlacementError for a slot count that is not a positive integer.
 */
export function placeSlots(slotCount: number, members: readonly PlacementMember[]): SlotPlacement {
  if (!Number.isInteger(slotCount) || slotCount < 1) throw new InvalidPlacementError(`slot count must be a positive integer, got ${slotCount}`);
  if (members.length === 0) throw new EmptyRingError();
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.id === sorted[i - 1]!.id) throw new DuplicateWorkerError(sorted[i]!.id);

  const claimedBy = new Int32Array(slotCount).fill(-1);
  const owned: number[][] = sorted.map(() => []);
  let ignoredClaims = 0;
  sorted.forEach((m, i) => {
    for (const slot of m.owned) {
      if (!Number.isInteger(slot) || slot < 0 || slot >= slotCount || claimedBy[slot] !== -1) {
        ignoredClaims++;
        continue;
      }
      claimedBy[slot] = i;
      owned[i]!.push(slot);
    }
  });

  const quota = quotas(slotCount, owned.map((o) => o.length));
  const ownerOf = Int32Array.from(claimedBy);
  owned.forEach((slots, i) => {
    slots.sort((a, b) => a - b);
    while (slots.length > quota[i]!) ownerOf[slots.pop()!] = -1;
  });
  for (let slot = 0; slot < slotCount; slot++) {
    if (ownerOf[slot] !== -1) continue;
    const taker = leastLoadedWithRoom(owned, quota);
    ownerOf[slot] = taker;
    owned[taker]!.push(slot);
  }

  let moved = 0;
  for (let slot = 0; slot < slotCount; slot++) if (ownerOf[slot] !== claimedBy[slot]) moved++;
  const assignment = new Map<string, readonly number[]>();
  sorted.forEach((m, i) => assignment.set(m.id, owned[i]!.sort((a, b) => a - b)));
  return { assignment, moved, ignoredClaims };
}

/** ⌊P/N⌋ for everyone, plus one for the P mod N members that already hold the most (ties: lower index). */
function quotas(slotCount: number, counts: readonly number[]): number[] {
  const n = counts.length;
  const base = Math.floor(slotCount / n);
  const byLoad = counts.map((_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const quota = new Array<number>(n).fill(base);
  for (let k = 0; k < slotCount % n; k++) quota[byLoad[k]!] = base + 1;
  return quota;
}

function leastLoadedWithRoom(owned: readonly number[][], quota: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < owned.length; i++) {
    const load = owned[i]!.length;
    if (load < quota[i]! && (best === -1 || load < owned[best]!.length)) best = i;
  }
  // Unreachable: the quotas add up to the slot count, so a free slot always has a member with room.
  if (best === -1) throw new InvalidPlacementError('no member has room for a free slot');
  return best;
}
