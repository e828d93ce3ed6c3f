import { describe, expect, it } from 'vitest';
import { buildRingStatus, formatRingTable, renderRingPage, slotRanges, type RingStatusInput } from '@ringtail/ring-status';

const NOW = 1_700_000_000_000;

function input(overrides: Partial<RingStatusInput> = {}): RingStatusInput {
  return {
    slotCount: 8,
    groupState: 'Stable',
    members: [
      { memberId: 'm-b', clientHost: '/127.0.0.1', worker: 'w-b', slots: [4, 5, 6] },
      { memberId: 'm-a', clientHost: '/127.0.0.1', worker: 'w-a', slots: [2, 0, 1] },
    ],
    lagBySlot: new Map([[0, 5], [4, 7], [7, 100]]),
    selfReports: [
      { memberId: 'm-a', worker: 'w-a', host: 'box', pid: 1, generation: 7, lastFlushAtMs: NOW - 1500, reportedAtMs: NOW },
      { memberId: 'gone', worker: 'old', host: 'box', pid: 2, generation: 9, lastFlushAtMs: NOW, reportedAtMs: NOW },
    ],
    rebalances: [{ atMs: NOW - 3000, generation: 7, leader: 'w-a', members: 2, slotsMoved: 3, durationMs: 41 }],
    nowMs: NOW,
    ...overrides,
  };
}

describe('ring status', () => {
  it('joins the group coordinator view with what members report, and finds unowned slots', () => {
    const s = buildRingStatus(input());
    expect(s.members.map((m) => [m.worker, m.slots, m.lag, m.lastFlushAgeMs])).toEqual([
      ['w-a', [0, 1, 2], 5, 1500],
      ['w-b', [4, 5, 6], 7, null],
    ]);
    expect(s.members[0]!.host).toBe('box');
    expect(s.members[1]!.host).toBe('/127.0.0.1');
    expect(s.unownedSlots).toEqual([3, 7]);
    expect(s.totalLag).toBe(112);
    // A report of a member no longer in the group says nothing about the group's generation.
    expect(s.generation).toBe(7);
  });

  it('prints slot lists as ranges', () => {
    expect(slotRanges([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(slotRanges([])).toBe('-');
  });

  it('renders the table and an HTML page that escapes what members report', () => {
    const s = buildRingStatus(input({ members: [{ memberId: 'm<x>', clientHost: 'h', worker: '<script>', slots: [0] }], selfReports: [] }));
    const table = formatRingTable(s, NOW);
    expect(table).toContain('1 members, 8 slots, 7 unowned');
    expect(table).toMatch(/<script>\s+h\s+1\s+12\.5%/);
    const page = renderRingPage(s, NOW);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&#60;script&#62;');
    expect(page).toContain('7 unowned (1-7)');
  });
});
