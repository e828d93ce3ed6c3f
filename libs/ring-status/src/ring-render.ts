import type { RingStatus } from './ring-status.ts';

/** Slot lists as ranges: `0-3,7,9-10`. */
export function slotRanges(slots: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < slots.length; ) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    out.push(i === j ? String(slots[i]) : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return out.join(',') || '-';
}

function age(ms: number | null): string {
  if (ms === null) return 'never';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

function aligned(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The status as plain text: a header line, the members table, unowned slots and the latest rebalances. */
export function formatRingTable(s: RingStatus, nowMs: number): string {
  const lines = [
    `group ${s.groupState}, generation ${s.generation ?? '-'}, ${s.members.length} members, ${s.slotCount} slots, ${s.unownedSlots.length} unowned, lag ${s.totalLag}`,
    '',
    aligned([
      ['WORKER', 'HOST', 'SLOTS', 'SHARE', 'LAG', 'LAST FLUSH', 'OWNED', 'MEMBER'],
      ...s.members.map((m) => [m.worker, m.host, String(m.slots.length), `${(m.share * 100).toFixed(1)}%`, String(m.lag), age(m.lastFlushAgeMs), slotRanges(m.slots), m.memberId]),
    ]),
    '',
    `unowned slots: ${s.unownedSlots.length === 0 ? 'none' : slotRanges(s.unownedSlots)}`,
  ];
  if (s.rebalances.length > 0) {
    lines.push('', 'latest rebalances:');
    lines.push(
      aligned([
        ['AGO', 'GENERATION', 'MEMBERS', 'SLOTS MOVED', 'DURATION', 'LEADER'],
        ...s.rebalances.map((r) => [age(nowMs - r.atMs), String(r.generation), String(r.members), String(r.slotsMoved), `${Math.round(r.durationMs)}ms`, r.leader]),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The status as a self-contained HTML page (the shard workers' /ring); refreshes itself every `refreshSeconds`. */
export function renderRingPage(s: RingStatus, nowMs: number, refreshSeconds = 2): string {
  const cell = (v: string | number) => `<td>${escapeHtml(String(v))}</td>`;
  const members = s.members
    .map((m) => `<tr>${[m.worker, m.host, m.slots.length, `${(m.share * 100).toFixed(1)}%`, m.lag, age(m.lastFlushAgeMs), slotRanges(m.slots), m.memberId].map(cell).join('')}</tr>`)
    .join('\n');
  const rebalances = s.rebalances
    .map((r) => `<tr>${[age(nowMs - r.atMs), r.generation, r.members, r.slotsMoved, `${Math.round(r.durationMs)} ms`, r.leader].map(cell).join('')}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSeconds}">
<title>Ringtail shard ring</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f3f3f3}.warn{color:#b00}</style></head>
<body><h1>Shard ring</h1>
<p>Group <b>${escapeHtml(s.groupState)}</b>, generation ${s.generation ?? '-'}, ${s.members.length} members, ${s.slotCount} slots,
<span class="${s.unownedSlots.length > 0 ? 'warn' : ''}">${s.unownedSlots.length} unowned${s.unownedSlots.length > 0 ? ` (${escapeHtml(slotRanges(s.unownedSlots))})` : ''}</span>, total lag ${s.totalLag} records.</p>
<h2>Members</h2>
<table><thead><tr><th>Worker</th><th>Host</th><th>Slots</th><th>Share</th><th>Lag</th><th>Last flush</th><th>Owned slots</th><th>Member id</th></tr></thead>
<tbody>
${members}
</tbody></table>
<h2>Latest rebalances</h2>
<table><thead><tr><th>Ago</th><th>Generation</th><th>Members</th><th>Slots moved</th><th>Duration</th><th>Leader</th></tr></thead>
<tbody>
${rebalances}
</tbody></table>
</body></html>
`;
}
