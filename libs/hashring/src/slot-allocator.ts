import { DuplicateWorkerError, InvalidWorkerError, RingFullError, UnknownWorkerError } from './errors.ts';
import { IndexHeap } from './index-heap.ts';
import { MAX_WEIGHT, MAX_WORKERS, SLOT_COUNT } from './slot-space.ts';

/** The complete state of a slot ring: what a snapshot carries. */
export interface SlotState {
  /** Member ids in join order. */
  readonly ids: readonly string[];
  /** Weight of each member, same order as `ids`. */
  readonly weights: readonly number[];
  /** Member index (into `ids`) owning each slot; all zeros when there are no members. */
  readonly table: Uint16Array;
}

/**
 * Mutable slot assignment that applies membership changes with the least
 * possible movement while keeping every member's slot count proportional to
 * its weight (water-filling on load = slots / weight):
 *
 * - join: the newcomer takes slots one at a time from the most loaded member
 *   (ties: the older member gives first; from it, its highest-numbered slot)
 *   while that leaves the newcomer less loaded than the giver was. Only slots
 *   that go to the newcomer change owner.
 * - leave: the leaver's slots, in ascending order, go one at a time to the
 *   least loaded remaining member (ties: the older member first). Only the
 *   leaver's slots change owner.
 *
 * With equal weights every member ends with ⌊S/N⌋ or ⌈S/N⌉ slots. All
 * arithmetic is on small integers, so every process computes the same table
 * from the same ordered history. Internal: `SlotRing` is the public face.
 */
export class SlotAllocator {
  private readonly ids: string[];
  private readonly weights: number[];
  private readonly table: Uint16Array;
  /** Slots of each member, ascending. */
  private readonly slots: number[][];
  private readonly indexOf = new Map<string, number>();

  private constructor(ids: string[], weights: number[], table: Uint16Array, slots: number[][]) {
    this.ids = ids;
    this.weights = weights;
    this.table = table;
    this.slots = slots;
    ids.forEach((id, i) => this.indexOf.set(id, i));
  }

  /** An allocator with no members. */
  static empty(): SlotAllocator {
    return new SlotAllocator([], [], new Uint16Array(SLOT_COUNT), []);
  }

  /** An allocator starting from a copy of `state` (which must be consistent). */
  static from(state: SlotState): SlotAllocator {
    const slots: number[][] = state.ids.map(() => []);
    if (state.ids.length > 0) {
      const table = state.table;
      for (let s = 0; s < SLOT_COUNT; s++) (slots[table[s] as number] as number[]).push(s);
    }
    return new SlotAllocator([...state.ids], [...state.weights], state.table.slice(), slots);
  }

  /** A copy of the current state. */
  state(): SlotState {
    return { ids: [...this.ids], weights: [...this.weights], table: this.table.slice() };
  }

  /**
   * Adds `worker` with integer `weight` (1..MAX_WEIGHT).
   * @throws DuplicateWorkerError, InvalidWorkerError, RingFullError
   */
  join(worker: string, weight = 1): void {
    if (typeof worker !== 'string' || worker.length === 0) {
      throw new InvalidWorkerError(String(worker), 'the worker id must be a non-empty string');
    }
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
      throw new InvalidWorkerError(worker, `weight must be an integer in 1..${MAX_WEIGHT}, got ${weight}`);
    }
    if (this.indexOf.has(worker)) throw new DuplicateWorkerError(worker);
    if (this.ids.length >= MAX_WORKERS) throw new RingFullError(this.ids.length, MAX_WORKERS);

    const joiner = this.ids.length;
    const existing = Array.from({ length: joiner }, (_, i) => i);
    this.ids.push(worker);
    this.weights.push(weight);
    this.indexOf.set(worker, joiner);
    if (joiner === 0) {
      this.table.fill(0);
      this.slots.push(Array.from({ length: SLOT_COUNT }, (_, s) => s));
      return;
    }

    const { slots, weights, table } = this;
    // Most loaded first: slots[a]/w[a] > slots[b]/w[b], cross-multiplied to stay in integers.
    const heap = new IndexHeap(existing, (a, b) => {
      const la = (slots[a] as number[]).length * (weights[b] as number);
      const lb = (slots[b] as number[]).length * (weights[a] as number);
      return la !== lb ? la > lb : a < b;
    });
    const taken: number[] = [];
    for (;;) {
      const giver = heap.top() as number;
      const giverSlots = slots[giver] as number[];
      // Steal while the joiner, after taking one more slot, is still less loaded than the giver now.
      if (!((taken.length + 1) * (weights[giver] as number) < giverSlots.length * weight)) break;
      const slot = giverSlots.pop() as number;
      table[slot] = joiner;
      taken.push(slot);
      heap.siftTop();
    }
    this.slots.push(taken.sort((a, b) => a - b));
  }

  /**
   * Removes `worker`; its slots go to the remaining members. Removing the last
   * member leaves an empty allocator.
   * @throws UnknownWorkerError
   */
  leave(worker: string): void {
    const leaver = this.indexOf.get(worker);
    if (leaver === undefined) throw new UnknownWorkerError(worker);
    const { slots, weights, table } = this;
    const orphaned = slots[leaver] as number[];

    if (this.ids.length > 1) {
      const others = Array.from({ length: this.ids.length }, (_, i) => i).filter((i) => i !== leaver);
      // Least loaded first, same integer cross-multiplication as join.
      const heap = new IndexHeap(others, (a, b) => {
        const la = (slots[a] as number[]).length * (weights[b] as number);
        const lb = (slots[b] as number[]).length * (weights[a] as number);
        return la !== lb ? la < lb : a < b;
      });
      for (const slot of orphaned) {
        const taker = heap.top() as number;
        table[slot] = taker;
        insertSorted(slots[taker] as number[], slot);
        heap.siftTop();
      }
    }

    this.ids.splice(leaver, 1);
    this.weights.splice(leaver, 1);
    this.slots.splice(leaver, 1);
    this.indexOf.delete(worker);
    for (let i = leaver; i < this.ids.length; i++) this.indexOf.set(this.ids[i] as string, i);
    if (this.ids.length === 0) {
      table.fill(0);
      return;
    }
    for (let s = 0; s < SLOT_COUNT; s++) {
      const owner = table[s] as number;
      if (owner > leaver) table[s] = owner - 1;
    }
  }
}

function insertSorted(sorted: number[], value: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, value);
}
