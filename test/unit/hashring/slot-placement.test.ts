import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateWorkerError, EmptyRingError, InvalidPlacementError, placeSlots, type PlacementMember, type SlotPlacement } from '@ringtail/hashring';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('slot-placement');
const NUM_RUNS = 100;

function ownerTable(p: SlotPlacement, slotCount: number): string[] {
  const owners = new Array<string>(slotCount);
  for (const [member, slots] of p.assignment) for (const s of slots) owners[s] = member;
  return owners;
}

function expectBalancedAndComplete(p: SlotPlacement, slotCount: number, members: number): void {
  const seen = new Set<number>();
  for (const slots of p.assignment.values()) {
    expect(slots.length === Math.floor(slotCount / members) || slots.length === Math.ceil(slotCount / members)).toBe(true);
    for (const s of slots) {
      expect(seen.has(s)).toBe(false);
      seen.add(s);
    }
    expect([...slots]).toEqual([...slots].sort((a, b) => a - b));
  }
  expect(seen.size).toBe(slotCount);
  expect(p.assignment.size).toBe(members);
}

function claimsOf(p: SlotPlacement, stay: (id: string) => boolean): PlacementMember[] {
  return [...p.assignment].filter(([id]) => stay(id)).map(([id, owned]) => ({ id, owned }));
}

/** Random membership histories: joins and leaves in any order, starting from an empty group. */
const history = fc.record({
  slotCount: fc.constantFrom(1, 7, 64, 256),
  steps: fc.array(fc.record({ join: fc.boolean(), pick: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 30 }),
});

describe('placeSlots', () => {
  it('gives every slot exactly one owner and every member ⌊P/N⌋ or ⌈P/N⌉ slots, whatever the claims', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.array(fc.integer({ min: -5, max: 320 }), { maxLength: 40 }), { maxLength: 40 }),
        (slotCount, ids, claims) => {
          const members = ids.map((id, i) => ({ id, owned: claims[i] ?? [] }));
          expectBalancedAndComplete(placeSlots(slotCount, members), slotCount, members.length);
        },
      ),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('moves the fewest slots any balanced placement could, whatever the claims', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.nat({ max: 11 }), { maxLength: 120 }),
        (slotCount, n, claimOwner) => {
          // Slot s is claimed by member claimOwner[s] (when < n), so claims never conflict.
          const owned: number[][] = Array.from({ length: n }, () => []);
          claimOwner.slice(0, slotCount).forEach((m, s) => m < n && owned[m]!.push(s));
          const p = placeSlots(slotCount, owned.map((o, i) => ({ id: `m${i}`, owned: o })));
          // Every unclaimed slot moves; a member keeps at most its quota, and the P mod N quotas of
          // ⌈P/N⌉ are best spent on members holding more than ⌊P/N⌋.
          const base = Math.floor(slotCount / n);
          const unclaimed = slotCount - owned.reduce((sum, o) => sum + o.length, 0);
          const excess = owned.reduce((sum, o) => sum + Math.max(0, o.length - base), 0);
          const aboveBase = owned.filter((o) => o.length > base).length;
          expect(p.moved).toBe(unclaimed + excess - Math.min(slotCount % n, aboveBase));
        },
      ),
      { seed, numRuns: NUM_RUNS * 3 },
    );
  });

  it('gives the same placement for the same members and claims in any order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 128 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.array(fc.nat({ max: 127 }), { maxLength: 20 }), { maxLength: 20 }),
        (slotCount, ids, claims) => {
          const members = ids.map((id, i) => ({ id, owned: claims[i] ?? [] }));
          const a = placeSlots(slotCount, members);
          const b = placeSlots(slotCount, [...members].reverse().map((m) => ({ id: m.id, owned: [...m.owned].reverse() })));
          expect(ownerTable(b, slotCount)).toEqual(ownerTable(a, slotCount));
          expect(b.moved).toBe(a.moved);
        },
      ),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('moves slots only to joiners on a join and only away from leavers on a leave, never between members that stay', () => {
    fc.assert(
      fc.property(history, ({ slotCount, steps }) => {
        let live: string[] = [];
        let next = 0;
        let placement: SlotPlacement | null = null;
        for (const step of steps) {
          const before = placement === null ? [] : ownerTable(placement, slotCount);
          const previous = new Set(live);
          if (step.join || live.length <= step.count) {
            for (let k = 0; k < step.count; k++) live.push(`w${String(next++).padStart(3, '0')}`);
          } else {
            for (let k = 0; k < step.count; k++) live.splice(step.pick % live.length, 1);
          }
          const stays = (id: string) => previous.has(id) && live.includes(id);
          const members = [...(placement === null ? [] : claimsOf(placement, stays)), ...live.filter((id) => !previous.has(id)).map((id) => ({ id, owned: [] }))];
          placement = placeSlots(slotCount, members);
          expectBalancedAndComplete(placement, slotCount, live.length);
          const after = ownerTable(placement, slotCount);
          const joiners = live.filter((id) => !previous.has(id)).length;
          let movedBetweenStayers = 0;
          let movedToJoiners = 0;
          for (let s = 0; s < before.length; s++) {
            if (before[s] === after[s]) continue;
            if (stays(before[s]!) && stays(after[s]!)) movedBetweenStayers++;
            if (!previous.has(after[s]!)) movedToJoiners++;
          }
          expect(movedBetweenStayers).toBe(0);
          if (step.join && joiners > 0 && before.length > 0) {
            // A join moves at most what the joiners end up holding: ⌈P/N⌉ each.
            expect(movedToJoiners).toBeLessThanOrEqual(joiners * Math.ceil(slotCount / live.length));
            expect(placement.moved).toBe(movedToJoiners);
          }
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('keeps a placement unchanged when the same members report it again', () => {
    const first = placeSlots(64, ['a', 'b', 'c'].map((id) => ({ id, owned: [] })));
    const again = placeSlots(64, claimsOf(first, () => true));
    expect(again.moved).toBe(0);
    expect(ownerTable(again, 64)).toEqual(ownerTable(first, 64));
  });

  it('lets the lower id keep a slot two members claim, and counts the other claim as ignored', () => {
    const p = placeSlots(4, [
      { id: 'b', owned: [0, 1] },
      { id: 'a', owned: [1, 2] },
    ]);
    expect(p.assignment.get('a')).toContain(1);
    expect(p.ignoredClaims).toBe(1);
  });

  it('rejects an empty group, repeated ids and a slot count that is not a positive integer', () => {
    expect(() => placeSlots(8, [])).toThrow(EmptyRingError);
    expect(() => placeSlots(8, [{ id: 'a', owned: [] }, { id: 'a', owned: [] }])).toThrow(DuplicateWorkerError);
    expect(() => placeSlots(0, [{ id: 'a', owned: [] }])).toThrow(InvalidPlacementError);
    expect(() => placeSlots(2.5, [{ id: 'a', owned: [] }])).toThrow(InvalidPlacementError);
  });
});
