import type { Redis } from 'ioredis';
import { CHANGE_FIELDS, type RedisKeys } from '@ringtail/model';
import { RedisUnavailableError } from './errors.ts';

/** Stream entries read per slot per XREAD: bounds one batch after a long pause. */
const ENTRIES_PER_READ = 1000;
/** The id before every stream entry: where a reader of a stream that did not exist yet starts. */
const STREAM_START = '0-0';

/** What the slots' change streams announced since the last batch. */
export interface ChangeBatch {
  /** Series ids whose windows changed. */
  readonly seriesIds: ReadonlySet<string>;
  /** Per slot, the id of the last entry this batch covers: save it once the batch is evaluated. */
  readonly cursors: ReadonlyMap<number, string>;
  readonly entries: number;
  /** Time (Redis's clock, epoch ms: the entry id's first part) of the batch's oldest entry; null when it has none. */
  readonly oldestEntryMs: number | null;
  /** Per slot in `cursors`, the read position before this batch (for `trimmedBefore`). */
  readonly from: ReadonlyMap<number, string>;
}

/** Where following starts after `load`. */
export interface FollowStart {
  /** A stored cursor points before trimmed entries, or a slot had none: evaluate every rule once. */
  readonly needsFullEvaluation: boolean;
  readonly gapSlots: number;
  /** Cursors for the slots that had none (their stream's end): save them once that full evaluation committed. */
  readonly initialCursors: ReadonlyMap<number, string>;
}

/** Compares two stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

interface StreamInfo {
  readonly lastGeneratedId: string;
  /** Null when the stream is empty. */
  readonly firstEntryId: string | null;
}

/**
 * True when entries after `position` (the last entry read) may have been
 * trimmed unread. Trimming removes the oldest entries, so if any entry after
 * `position` went, the entry at `position` went first: the stream then starts
 * after it (or is empty although it grew past it). Only errs towards a gap
 * (the entry at `position` trimmed while every later one remains), which costs
 * one evaluation of every rule. Redis 7.0's max-deleted-entry-id would be
 * exact, but XTRIM and MAXLEN do not move it.
 */
function trimmedPast(position: string, info: StreamInfo): boolean {
  if (position === STREAM_START) return false;
  return compareStreamIds(info.firstEntryId ?? info.lastGeneratedId, position) > 0;
}

/**
 * Follows the shard workers' change streams (one per slot, see
 * `RedisKeys.changes`) with XREAD BLOCK on a connection of its own. Its read
 * position lives in memory; the position to resume from after a restart is
 * the cursor hash, which `save` moves only once the caller has committed the
 * evaluation of what it read — a crash in between re-reads those entries.
 */
export class ChangeFollower {
  private readonly streams: string[];
  private readonly slotOfStream = new Map<string, number>();
  private positions: string[] = [];

  constructor(
    /** A connection of its own: XREAD BLOCK holds it. */
    private readonly blocking: Redis,
    private readonly redis: Redis,
    keys: RedisKeys,
    private readonly cursorKey: string,
  ) {
    this.streams = Array.from({ length: keys.slotCount }, (_, slot) => keys.changes(slot));
    this.streams.forEach((s, slot) => this.slotOfStream.set(s, slot));
  }

  /**
   * Loads the stored cursors. A slot without one starts after its stream's
   * current last entry (the caller's full evaluation covers what came before);
   * a cursor older than an entry the stream trimmed is a gap.
   */
  async load(): Promise<FollowStart> {
    const [stored, infos] = await this.call('load cursors', () => Promise.all([this.redis.hgetall(this.cursorKey), this.infos(this.streams)]));
    const initialCursors = new Map<number, string>();
    let gapSlots = 0;
    this.positions = this.streams.map((_, slot) => {
      const info = infos[slot];
      const cursor = stored[String(slot)];
      if (cursor === undefined) {
        if (info) initialCursors.set(slot, info.lastGeneratedId);
        return info?.lastGeneratedId ?? STREAM_START;
      }
      if (info && trimmedPast(cursor, info)) gapSlots++;
      return cursor;
    });
    return { needsFullEvaluation: initialCursors.size > 0 || gapSlots > 0, gapSlots, initialCursors };
  }

  /** Waits up to `blockMs` for announcements after the read position; null when none came. */
  async next(blockMs: number): Promise<ChangeBatch | null> {
    const reply = (await this.call('XREAD', () =>
      this.blocking.xread('COUNT', ENTRIES_PER_READ, 'BLOCK', blockMs, 'STREAMS', ...this.streams, ...this.positions),
    )) as [string, [string, string[]][]][] | null;
    if (!reply) return null;
    const seriesIds = new Set<string>();
    const cursors = new Map<number, string>();
    const from = new Map<number, string>();
    let entries = 0;
    let oldestEntryMs: number | null = null;
    for (const [stream, items] of reply) {
      const slot = this.slotOfStream.get(stream);
      if (slot === undefined || items.length === 0) continue;
      // A stream's entries come oldest first.
      const firstMs = Number(items[0]![0].split('-')[0]);
      if (oldestEntryMs === null || firstMs < oldestEntryMs) oldestEntryMs = firstMs;
      for (const [, fields] of items) {
        entries++;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          if (fields[i] !== CHANGE_FIELDS.series) continue;
          for (const id of fields[i + 1]!.split(',')) if (id !== '') seriesIds.add(id);
        }
      }
      from.set(slot, this.positions[slot]!);
      const last = items[items.length - 1]![0];
      cursors.set(slot, last);
      this.positions[slot] = last;
    }
    return { seriesIds, cursors, entries, oldestEntryMs, from };
  }

  /**
   * True when some announcements between `batch.from` and the batch were trimmed
   * away unread: evaluate every rule before saving its cursors. A round trip of
   * its own, so a caller can start evaluating the batch's rules meanwhile.
   */
  async trimmedBefore(batch: ChangeBatch): Promise<boolean> {
    const slots = [...batch.from.keys()];
    const infos = await this.call('XINFO STREAM', () => this.infos(slots.map((slot) => this.streams[slot]!)));
    return slots.some((slot, i) => infos[i] !== null && trimmedPast(batch.from.get(slot)!, infos[i]!));
  }

  /** Stores `cursors` as where a restarted alerter resumes (call after their batch's evaluation committed). */
  async save(cursors: ReadonlyMap<number, string>): Promise<void> {
    if (cursors.size === 0) return;
    const fields = [...cursors].flatMap(([slot, id]) => [String(slot), id]);
    await this.call('save cursors', () => this.redis.hset(this.cursorKey, ...fields));
  }

  /** XINFO STREAM of each stream (one MULTI); null for a stream that does not exist. */
  private async infos(streams: readonly string[]): Promise<(StreamInfo | null)[]> {
    if (streams.length === 0) return [];
    // EXISTS beside each XINFO in one transaction tells a missing stream from a failed command.
    const multi = this.redis.multi();
    for (const s of streams) multi.exists(s).xinfo('STREAM', s);
    const replies = (await multi.exec()) ?? [];
    return streams.map((_, i) => {
      const [, exists] = replies[2 * i]!;
      const [err, reply] = replies[2 * i + 1]!;
      if (exists === 0) return null;
      if (err) throw err;
      const flat = reply as unknown[];
      const field = (name: string) => flat[flat.indexOf(name) + 1];
      const first = field('first-entry') as [string, unknown] | null;
      return { lastGeneratedId: String(field('last-generated-id')), firstEntryId: first ? first[0] : null };
    });
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new RedisUnavailableError(operation, { cause });
    }
  }
}
