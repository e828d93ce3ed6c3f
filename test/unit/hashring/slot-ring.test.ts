import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DuplicateWorkerError,
  EmptyRingError,
  InvalidSnapshotError,
  InvalidWorkerError,
  SLOT_COUNT,
  SlotRing,
  UnknownWorkerError,
  type RingChange,
} from '@ringtail/hashring';
import { testSeed } from '../../support/test-seed.ts';

const seed = testSeed('slot-ring');
const NUM_RUNS = 40;

function owners(ring: SlotRing): string[] {
  return Array.from({ length: SLOT_COUNT }, (_, s) => ring.ownerOfSlot(s));
}

function slotCounts(ring: SlotRing): number[] {
  return ring.shares().map((s) => s.slots);
}

/** A valid history: some joins, then a random mix of joins and leaves of any member. */
const history = fc
  .record({
    initial: fc.integer({ min: 1, max: 40 }),
    steps: fc.array(fc.record({ join: fc.boolean(), pick: fc.nat(), weight: fc.integer({ min: 1, max: 4 }) }), { maxLength: 15 }),
    weighted: fc.boolean(),
  })
  .map(({ initial, steps, weighted }) => {
    const changes: RingChange[] = [];
    const live: string[] = [];
    let next = 0;
    const join = (weight: number): void => {
      const worker = `w${next++}`;
      live.push(worker);
      changes.push(weighted ? { op: 'join', worker, weight } : { op: 'join', worker });
    };
    for (let i = 0; i < initial; i++) join(1 + (i % 3));
    for (const step of steps) {
      if (step.join || live.length === 1) join(step.weight);
      else changes.push({ op: 'leave', worker: live.splice(step.pick % live.length, 1)[0]! });
    }
    return { changes, weighted };
  });

describe('SlotRing', () => {
  it('moves keys only to the joining worker, about 1/(N+1) of them', () => {
    fc.assert(
      fc.property(history, ({ changes }) => {
        const before = SlotRing.fromHistory(changes);
        const after = before.join('joiner');
        const was = owners(before);
        const now = owners(after);
        let moved = 0;
        let movedElsewhere = 0;
        for (let s = 0; s < SLOT_COUNT; s++) {
          if (was[s] === now[s]) continue;
          moved++;
          if (now[s] !== 'joiner') movedElsewhere++;
        }
        expect(movedElsewhere).toBe(0);
        if (changes.every((c) => c.weight === undefined)) {
          expect(moved / SLOT_COUNT).toBeLessThanOrEqual(1.1 / (before.size + 1));
          expect(moved / SLOT_COUNT).toBeGreaterThanOrEqual(0.9 / (before.size + 1));
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('moves only the leaving worker’s keys when any worker leaves', () => {
    fc.assert(
      fc.property(history, fc.nat(), ({ changes }, pick) => {
        const before = SlotRing.fromHistory(changes);
        fc.pre(before.size > 1);
        const leaver = before.members()[pick % before.size]!;
        const after = before.leave(leaver);
        const was = owners(before);
        const now = owners(after);
        let movedFromStayers = 0;
        let leftWithLeaver = 0;
        for (let s = 0; s < SLOT_COUNT; s++) {
          if (was[s] !== leaver && now[s] !== was[s]) movedFromStayers++;
          if (now[s] === leaver) leftWithLeaver++;
        }
        expect(movedFromStayers).toBe(0);
        expect(leftWithLeaver).toBe(0);
        expect(after.has(leaver)).toBe(false);
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('keeps equal-weight workers within one slot of each other after any history', () => {
    fc.assert(
      fc.property(history, ({ changes }) => {
        const ring = SlotRing.fromHistory(changes.map((c) => ({ op: c.op, worker: c.worker })));
        const counts = slotCounts(ring);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(SLOT_COUNT);
        expect(Math.max(...counts)).toBe(Math.ceil(SLOT_COUNT / ring.size));
        expect(Math.min(...counts)).toBe(Math.floor(SLOT_COUNT / ring.size));
        expect(Math.max(...counts) / (SLOT_COUNT / ring.size)).toBeLessThanOrEqual(1 + ring.size / SLOT_COUNT);
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('gives weighted workers a share within 5% of weight / total weight', () => {
    fc.assert(
      fc.property(history, ({ changes }) => {
        const ring = SlotRing.fromHistory(changes);
        const shares = ring.shares();
        const totalWeight = shares.reduce((sum, s) => sum + s.weight, 0);
        for (const s of shares) {
          const ideal = s.weight / totalWeight;
          expect(Math.abs(s.share - ideal) / ideal).toBeLessThanOrEqual(0.05);
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
  });

  it('reaches peak/mean ≤ 1.05 on exact shares at 10, 100 and 1000 workers', () => {
    for (const n of [10, 100, 1000]) {
      const ring = SlotRing.of(Array.from({ length: n }, (_, i) => `w${i}`));
      expect(Math.max(...slotCounts(ring)) / (SLOT_COUNT / n)).toBeLessThanOrEqual(1.05);
    }
  });

  it('rebuilds the exact ring from a JSON round trip of its snapshot', () => {
    fc.assert(
      fc.property(history, ({ changes }) => {
        const ring = SlotRing.fromHistory(changes);
        const copy = SlotRing.fromSnapshot(JSON.parse(JSON.stringify(ring.snapshot())));
        expect(copy.members()).toEqual(ring.members());
        expect(owners(copy).join()).toBe(owners(ring).join());
        expect(copy.shares()).toEqual(ring.shares());
        expect(owners(copy.join('x')).join()).toBe(owners(ring.join('x')).join());
      }),
      { seed, numRuns: 30 },
    );
  });

  it('builds the same ring from the same history in every build', () => {
    fc.assert(
      fc.property(history, ({ changes }) => {
        const stepwise = changes.reduce(
          (ring, c) => (c.op === 'join' ? ring.join(c.worker, c.weight) : ring.leave(c.worker)),
          SlotRing.empty(),
        );
        expect(stepwise.snapshot()).toEqual(SlotRing.fromHistory(changes).snapshot());
      }),
      { seed, numRuns: 30 },
    );
  });

  it('leaves the ring it was called on unchanged', () => {
    const ring = SlotRing.of(['a', 'b', 'c']);
    const before = owners(ring);
    ring.join('d');
    ring.leave('a');
    expect(owners(ring)).toEqual(before);
    expect(ring.members()).toEqual(['a', 'b', 'c']);
  });

  it('throws a typed EmptyRingError on lookup in an empty ring', () => {
    for (const ring of [SlotRing.empty(), SlotRing.of(['a']).leave('a'), SlotRing.fromSnapshot(SlotRing.empty().snapshot())]) {
      expect(ring.size).toBe(0);
      const err = (() => {
        try {
          ring.ownerOf({ hi: 123, lo: 456 });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(EmptyRingError);
      expect(err).toMatchObject({ name: 'EmptyRingError', code: 'RING_EMPTY', retriable: false });
      expect(() => ring.ownerOfWords(0xffffffff, 0)).toThrow(EmptyRingError);
    }
  });

  it('rejects a duplicate join, an unknown leave and a bad weight with typed errors', () => {
    const ring = SlotRing.of(['a', 'b']);
    expect(() => ring.join('a')).toThrow(DuplicateWorkerError);
    expect(() => ring.leave('zz')).toThrow(UnknownWorkerError);
    expect(() => ring.join('c', 0)).toThrow(InvalidWorkerError);
    expect(() => ring.join('c', 1.5)).toThrow(InvalidWorkerError);
    expect(() => ring.join('')).toThrow(InvalidWorkerError);
    expect(() => SlotRing.fromHistory([{ op: 'leave', worker: 'a' }])).toThrow(
      expect.objectContaining({ code: 'RING_UNKNOWN_WORKER', retriable: false }),
    );
  });

  it('rejects malformed snapshots with InvalidSnapshotError', () => {
    const good = SlotRing.of(['a', 'b']).snapshot();
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, table: good.table.slice(0, 100) },
      { ...good, members: [{ id: 'a', weight: 1 }] },
      { ...good, members: [{ id: 'a', weight: 1 }, { id: 'a', weight: 1 }] },
      { ...good, members: [{ id: 'a', weight: 0 }, { id: 'b', weight: 1 }] },
    ];
    for (const snapshot of bad) {
      expect(() => SlotRing.fromSnapshot(snapshot as never)).toThrow(InvalidSnapshotError);
    }
  });
});
