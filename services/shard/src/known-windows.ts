import { WINDOW_FIELDS, type WindowAggregate } from '@ringtail/model';
import type { PartitionBatch, WindowDelta } from './flush-batch.ts';
import { CREATED_WINDOW, RESUME_OFFSET_FIELD, type AppliedReply } from './flush-script.ts';

/**
 * What this worker knows of each slot's windows in Redis, so a flush can write
 * a known window's new fields outright instead of having the script read it
 * back and merge (HGETALL, string→double, merge, double→string: about four
 * fifths of the script's cost per window).
 *
 * Knowledge is only used while it is provably current. Every window hash
 * counts its writes (`v`, bumped by every flush-2.lua write, merged or
 * outright), and a known window is written only while it still holds the
 * version this worker knows: any other write since — a zombie, the slot's next
 * owner, another partition's script writing a series sent to it, a failover
 * that lost our write — or the window gone (expired) fails the check. Beside
 * it, the batch carries the slot's watermark hash (without `k`) as this
 * worker's last applied script left it, and the script also wants it
 * unchanged: every script that writes windows moves a watermark forward, so
 * this covers a writer of an older version, which does not bump `v`. Otherwise
 * the script refuses the batch (-4) and the sink forgets the slot and sends the
 * same batch as deltas, the merge-in-Redis path.
 *
 * Windows become known from the script's reply: after merging a delta it
 * returns the window's fields as stored, or, for a window the delta created,
 * says so, and the worker takes the delta merged into NO_WINDOW (`writeOf`
 * computes what the script's merge stores). Only the slot clock's window of each
 * resolution and the one before are kept (KEEP_STEPS): samples arrive for
 * those; a late sample's window is merged by the script as before.
 */

/** A window's fields as Redis holds them. */
export interface KnownWindow {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly firstTsMs: number;
  readonly first: number;
  readonly lastTsMs: number;
  readonly last: number;
  /** Writes of the window so far (its `v` field): the script writes it outright only while it still holds this. */
  readonly version: number;
  /** Sum limbs, carry-normalized as flush-2.lua stores them: index, value, index, value... (an array: a Map per window cost memory). */
  readonly limbs: readonly number[];
}

/** One window written outright: its key, the fields to HSET (name, value, ...) and what Redis then holds. */
export interface KnownWrite {
  readonly key: string;
  readonly fields: readonly string[];
  readonly next: KnownWindow;
  readonly delta: WindowDelta;
}

/** How a batch's windows go to the script. */
export interface WritePlan {
  /** Windows merged by the script (not known here), with their keys. */
  readonly merged: readonly { readonly key: string; readonly delta: WindowDelta }[];
  readonly known: readonly KnownWrite[];
  /** The slot's watermark hash as last seen (name, value, ...); set whenever `known` is not empty. */
  readonly watermarks?: readonly string[];
}

/** Windows kept per series and resolution besides the slot clock's: the one before, for samples a little late. */
const KEEP_STEPS = 1;
const TWO32 = 2 ** 32;
// Stored limbs past this were summed by HINCRBY (before normalization): left to the script.
const LEGACY_LIMB = 2 ** 51;
const F = WINDOW_FIELDS;
/** The window's write count (see flush-2.lua). */
const VERSION_FIELD = 'v';

/**
 * What a window is before its first write: merging a delta into it gives what
 * flush-2.lua stores when its row creates the window (every field the delta's, v = 1).
 */
const NO_WINDOW: KnownWindow = { count: 0, min: Infinity, max: -Infinity, firstTsMs: Infinity, first: Infinity, lastTsMs: -Infinity, last: -Infinity, version: 0, limbs: [] };

/** One resolution's known windows of a slot: window start → key → window. */
interface ResolutionKnowledge {
  readonly stepMs: number;
  readonly starts: Map<number, Map<string, KnownWindow>>;
}

interface SlotKnowledge {
  watermarks: readonly string[] | null;
  /** By resolution name. */
  readonly windows: Map<string, ResolutionKnowledge>;
}

export class KnownWindows {
  private readonly slots = new Map<number, SlotKnowledge>();

  /**
   * `slotOfSeries` is where a series' windows live (its id's slot). Only a
   * window of the batch's own slot is remembered: a series sent to another
   * partition than its slot (a shard topic written by hand, say) has its
   * windows written by two partitions' scripts, and each would keep refusing
   * the other's outright writes. Those are always merged.
   */
  constructor(private readonly slotOfSeries: (seriesId: string) => number) {}

  /** Forgets everything about `slot`: after a refusal, an error, a reply not seen, or the slot moving away. */
  forget(slot: number): void {
    this.slots.delete(slot);
  }

  /** Windows known in Redis (for tests). */
  size(slot: number): number {
    let n = 0;
    for (const r of this.slots.get(slot)?.windows.values() ?? []) for (const ws of r.starts.values()) n += ws.size;
    return n;
  }

  /** Splits a slot's window deltas into known windows (written outright) and the rest (merged by the script). */
  plan(slot: number, windows: readonly { readonly key: string; readonly delta: WindowDelta }[]): WritePlan {
    const s = this.slots.get(slot);
    if (s === undefined || s.watermarks === null) return { merged: windows, known: [] };
    const merged: { key: string; delta: WindowDelta }[] = [];
    const known: KnownWrite[] = [];
    for (const w of windows) {
      const current = this.slotOfSeries(w.delta.seriesId) === slot ? s.windows.get(w.delta.resolution.name)?.starts.get(w.delta.startMs)?.get(w.key) : undefined;
      if (current === undefined) merged.push(w);
      else known.push(writeOf(w.key, current, w.delta));
    }
    return known.length === 0 ? { merged, known } : { merged, known, watermarks: s.watermarks };
  }

  /**
   * Records what an applied script left in Redis. Windows more than KEEP_STEPS
   * behind the batch's clock (its newest raw record time; else its newest
   * window) go, and so do closed ones.
   */
  applied(slot: number, plan: WritePlan, reply: AppliedReply, batch: Pick<PartitionBatch, 'closedThrough' | 'clockMs'>): void {
    let s = this.slots.get(slot);
    if (s === undefined) {
      s = { watermarks: null, windows: new Map() };
      this.slots.set(slot, s);
    }
    s.watermarks = withoutResumeOffset(reply.watermarks);
    for (const w of plan.known) remember(s, w.delta, w.key, w.next);
    plan.merged.forEach((w, i) => {
      if (this.slotOfSeries(w.delta.seriesId) !== slot) return;
      const entry = reply.merged[i];
      const stored = entry === CREATED_WINDOW ? writeOf(w.key, NO_WINDOW, w.delta).next : parseStored(entry);
      if (stored === null) s.windows.get(w.delta.resolution.name)?.starts.get(w.delta.startMs)?.delete(w.key);
      else remember(s, w.delta, w.key, stored);
    });
    for (const [resolution, { stepMs, starts }] of s.windows) {
      // The clock, not the newest window: one sample stamped minutes ahead must not push the rest out.
      let newest = batch.clockMs === undefined ? -Infinity : Math.floor(batch.clockMs / stepMs) * stepMs;
      if (batch.clockMs === undefined) for (const start of starts.keys()) if (start > newest) newest = start;
      const closed = batch.closedThrough.find((c) => c.resolution === resolution)?.startMs ?? -Infinity;
      const keepFrom = Math.max(newest - KEEP_STEPS * stepMs, closed);
      for (const start of starts.keys()) if (start < keepFrom) starts.delete(start);
    }
  }
}

function remember(s: SlotKnowledge, delta: WindowDelta, key: string, w: KnownWindow): void {
  let r = s.windows.get(delta.resolution.name);
  if (r === undefined) s.windows.set(delta.resolution.name, (r = { stepMs: delta.resolution.stepMs, starts: new Map() }));
  let ws = r.starts.get(delta.startMs);
  if (ws === undefined) r.starts.set(delta.startMs, (ws = new Map()));
  ws.set(key, w);
}

function withoutResumeOffset(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] !== RESUME_OFFSET_FIELD) out.push(flat[i]!, flat[i + 1]!);
  return out;
}

/** A window's HGETALL reply as a KnownWindow, or null when it is not one this cache can carry on from. */
export function parseStored(flat: readonly string[] | undefined): KnownWindow | null {
  if (flat === undefined || flat.length === 0) return null;
  const h: Record<string, number> = {};
  const limbs: number[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    const v = Number(flat[i + 1]);
    if (name.startsWith(F.sumLimbPrefix)) {
      const index = Number(name.slice(1));
      if (!Number.isInteger(index) || !Number.isInteger(v) || Math.abs(v) >= LEGACY_LIMB) return null;
      limbs.push(index, v);
    } else h[name] = v;
  }
  const w = { count: h[F.count], min: h[F.min], max: h[F.max], firstTsMs: h[F.firstTsMs], first: h[F.first], lastTsMs: h[F.lastTsMs], last: h[F.last], version: h[VERSION_FIELD] };
  for (const v of Object.values(w)) if (v === undefined || Number.isNaN(v)) return null;
  return { ...(w as Omit<KnownWindow, 'limbs'>), limbs };
}

/**
 * `current` with `delta` merged, and the fields that changed: exactly what
 * flush-2.lua's merge writes for the same stored window and delta (the same
 * comparisons, the same carry normalization in the same double arithmetic,
 * the same decimal forms), so either path leaves the same hash.
 */
export function writeOf(key: string, current: KnownWindow, delta: WindowDelta): KnownWrite {
  const d: WindowAggregate = delta.window;
  const version = current.version + 1;
  const fields: string[] = [F.count, String(current.count + d.count), VERSION_FIELD, String(version)];
  let { min, max, firstTsMs, first, lastTsMs, last } = current;
  if (d.min < min) {
    min = d.min;
    fields.push(F.min, String(min));
  }
  if (d.max > max) {
    max = d.max;
    fields.push(F.max, String(max));
  }
  if (d.firstTsMs < firstTsMs || (d.firstTsMs === firstTsMs && d.first < first)) {
    firstTsMs = d.firstTsMs;
    first = d.first;
    fields.push(F.firstTsMs, String(firstTsMs), F.first, String(first));
  }
  if (d.lastTsMs > lastTsMs || (d.lastTsMs === lastTsMs && d.last > last)) {
    lastTsMs = d.lastTsMs;
    last = d.last;
    fields.push(F.lastTsMs, String(lastTsMs), F.last, String(last));
  }
  const limbs = mergeLimbs(current.limbs, d.sumLimbs, fields);
  return { key, fields, delta, next: { count: current.count + d.count, min, max, firstTsMs, first, lastTsMs, last, version, limbs } };
}

/** `s<i>` for the limb indices met so far: a write names a few limbs, the same few for every window. */
const limbFields: string[] = [];
const limbField = (i: number): string => (limbFields[i] ??= `${F.sumLimbPrefix}${i}`);

/**
 * Stored limbs (flat index, value pairs) plus a delta's, carry-normalized as
 * flush-2.lua does: pushes the changed limbs onto `fields` and returns the
 * stored limbs after the write (flat, ascending). Limbs span a few indices, so
 * they are summed in arrays over [lowest, highest] rather than in Maps.
 */
function mergeLimbs(stored: readonly number[], delta: ReadonlyMap<number, number>, fields: string[]): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < stored.length; j += 2) {
    const i = stored[j]!;
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  for (const [i, amount] of delta) {
    if (amount === 0) continue;
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  if (lo === Infinity) return [];
  const span = hi - lo + 1;
  // Per index from lo: the stored limb (undefined: Redis has no such field) and the sum with the delta.
  const old: (number | undefined)[] = new Array<number | undefined>(span);
  const sums = new Array<number>(span).fill(0);
  for (let j = 0; j < stored.length; j += 2) {
    old[stored[j]! - lo] = stored[j + 1]!;
    sums[stored[j]! - lo] = stored[j + 1]!;
  }
  for (const [i, amount] of delta) if (amount !== 0) sums[i - lo] = sums[i - lo]! + amount;
  // Lower limbs into [0, 2^32), carrying upwards; the highest keeps its sign and absorbs the carry.
  let carry = 0;
  for (let k = 0; k < span - 1; k++) {
    let v = sums[k]! + carry;
    carry = Math.floor(v / TWO32);
    v -= carry * TWO32;
    sums[k] = v;
  }
  let top = sums[span - 1]! + carry;
  let above: number | undefined;
  if (top >= TWO32 || top <= -TWO32) {
    above = Math.floor(top / TWO32);
    top -= above * TWO32;
  }
  sums[span - 1] = top;
  const out: number[] = [];
  for (let k = 0; k < span; k++) {
    const v = sums[k]!;
    const was = old[k];
    // As the script: a limb Redis lacks that comes out 0 stays absent.
    if (v !== was && (v !== 0 || was !== undefined)) fields.push(limbField(lo + k), String(v));
    if (v !== 0 || was !== undefined) out.push(lo + k, v === was ? was : v);
  }
  if (above !== undefined) {
    fields.push(limbField(hi + 1), String(above));
    out.push(hi + 1, above);
  }
  return out;
}
