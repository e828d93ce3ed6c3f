import { prng } from '@ringtail/loadgen';
import { placeSlots, type SlotPlacement } from '../src/index.ts';

export interface PlacementFigures {
  /** Largest (slots a member holds − ⌈P/N⌉) over every placement of the walk; 0 is optimal. */
  readonly excessMax: number;
  /** Worst slots moved / idealSlotsMoved over the walk's changes; 1 is optimal. */
  readonly movedOverIdeal: number;
  /** Changes made (joins plus leaves). */
  readonly changes: number;
  /** Member counts reached, 1…P: all of them. */
  readonly countsReached: number;
}

/**
 * Walks the group from 1 member up to `slotCount` and back down to 1, one
 * join or one leave (of a random member) at a time, joins more likely on the
 * way up and leaves on the way down, so every member count 1…P is reached.
 * Each placement continues the previous one, as the group leader does.
 */
export function measurePlacementWalk(slotCount: number, seed: number): PlacementFigures {
  const random = prng(seed);
  let next = 0;
  const newId = () => `m${String(next++).padStart(5, '0')}`;
  let placement: SlotPlacement = placeSlots(slotCount, [{ id: newId(), owned: [] }]);
  const reached = new Set<number>([1]);
  let excessMax = 0;
  let movedOverIdeal = 0;
  let changes = 0;
  for (const goingUp of [true, false]) {
    while (goingUp ? placement.assignment.size < slotCount : placement.assignment.size > 1) {
      const n = placement.assignment.size;
      const join = n === 1 || (n < slotCount && (goingUp ? random() < 0.7 : random() < 0.3));
      const members = [...placement.assignment].map(([id, owned]) => ({ id, owned }));
      let ideal: number;
      if (join) {
        members.push({ id: newId(), owned: [] });
        ideal = Math.ceil(slotCount / (n + 1));
      } else {
        const [leaver] = members.splice(Math.floor(random() * n), 1);
        ideal = leaver!.owned.length;
      }
      placement = placeSlots(slotCount, members);
      changes++;
      reached.add(placement.assignment.size);
      const ceil = Math.ceil(slotCount / placement.assignment.size);
      for (const slots of placement.assignment.values()) excessMax = Math.max(excessMax, slots.length - ceil);
      if (ideal > 0) movedOverIdeal = Math.max(movedOverIdeal, placement.moved / ideal);
    }
  }
  return { excessMax, movedOverIdeal, changes, countsReached: reached.size };
}
