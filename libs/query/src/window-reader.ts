import type { Redis } from 'ioredis';
import {
  blockSlots,
  blockStartMs,
  decodeWindowBlock,
  decodeWindowHash,
  mergeReading,
  readingOfValues,
  windowExpiresAtMs,
  windowStartMs,
  type RedisKeys,
  type Resolution,
  type WindowReading,
} from '@ringtail/model';
import { CorruptBlockError, QueryRangeError } from './errors.ts';

/** Keys per pipeline round trip: large enough to amortize latency, small enough not to stall Redis. */
const PIPELINE_CHUNK = 1000;
/** Upper bound of windows one query reads; past it the query must narrow its range or use a coarser step. */
export const MAX_WINDOWS_PER_QUERY = 500_000;

export interface StoredWindow {
  readonly seriesId: string;
  readonly startMs: number;
  readonly reading: WindowReading;
}

/** Start times of the windows of `resolution` overlapping [fromMs, toMs). */
export function windowStarts(resolution: Resolution, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let s = windowStartMs(fromMs, resolution.stepMs); s < toMs; s += resolution.stepMs) out.push(s);
  return out;
}

/**
 * Reads the stored windows of `resolution` overlapping [fromMs, toMs) for each
 * series, by series (in `seriesIds` order) then start: hot windows (hashes)
 * and closed ones (blocks) alike, so a window reads the same before and after
 * compaction. Windows that do not exist (no sample, or past retention as of
 * `nowMs`) are left out.
 * @throws CorruptBlockError when a block in the range does not decode
 */
export async function readWindows(
  redis: Redis,
  keys: RedisKeys,
  seriesIds: readonly string[],
  resolution: Resolution,
  fromMs: number,
  toMs: number,
  nowMs: number = Date.now(),
): Promise<StoredWindow[]> {
  if (!(toMs > fromMs)) throw new QueryRangeError('to', 'must be after --from');
  const starts = windowStarts(resolution, fromMs, toMs);
  if (starts.length * seriesIds.length > MAX_WINDOWS_PER_QUERY) {
    throw new QueryRangeError('step', `the query would read ${starts.length * seriesIds.length} windows, more than ${MAX_WINDOWS_PER_QUERY}`);
  }
  const wanted: { seriesId: string; startMs: number }[] = [];
  for (const seriesId of seriesIds) for (const startMs of starts) wanted.push({ seriesId, startMs });
  const out: StoredWindow[] = [];
  for (let i = 0; i < wanted.length; i += PIPELINE_CHUNK) {
    const chunk = wanted.slice(i, i + PIPELINE_CHUNK);
    const pipeline = redis.pipeline();
    for (const w of chunk) pipeline.hgetall(keys.window(w.seriesId, resolution.name, w.startMs));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, fields], j) => {
      if (err) throw err;
      const reading = decodeWindowHash(fields as Record<string, string>);
      if (reading !== null) out.push({ ...chunk[j]!, reading });
    });
  }
  return mergeStored(seriesIds, out, await readBlockWindows(redis, keys, seriesIds, resolution, fromMs, toMs, nowMs));
}

/**
 * The closed windows of `resolution` kept in blocks that overlap [fromMs,
 * toMs), for each series: one GET per block, pipelined. Windows past their own
 * retention as of `nowMs` are left out (a block lives until its last window expires).
 * @throws CorruptBlockError when a block does not decode
 */
export async function readBlockWindows(
  redis: Redis,
  keys: RedisKeys,
  seriesIds: readonly string[],
  resolution: Resolution,
  fromMs: number,
  toMs: number,
  nowMs: number = Date.now(),
): Promise<StoredWindow[]> {
  const read = blockRead(keys, seriesIds, resolution, fromMs, toMs, nowMs);
  const out: StoredWindow[] = [];
  for (let i = 0; i < read.keys.length; i += PIPELINE_CHUNK) {
    const chunk = read.keys.slice(i, i + PIPELINE_CHUNK);
    const replies = (await redis.pipeline(chunk.map((key) => ['getBuffer', key])).exec()) ?? [];
    const bytes = replies.map(([err, reply]) => {
      if (err) throw err;
      return reply as Buffer | null;
    });
    out.push(...read.windows(bytes, i));
  }
  return out;
}

/** The block keys a block read GETs, and how their replies become windows. */
export interface BlockRead {
  readonly keys: readonly string[];
  /**
   * The windows of the blocks whose GET replies are `replies`, the replies of
   * `keys` from index `offset` on (null: no such block).
   * @throws CorruptBlockError when a block does not decode
   */
  windows(replies: readonly (Buffer | null)[], offset?: number): StoredWindow[];
}

/**
 * `readBlockWindows` for a caller that sends the GETs itself, in a pipeline
 * shared with other reads (an alerter tick).
 * @throws QueryRangeError when the range is empty
 */
export function blockRead(keys: RedisKeys, seriesIds: readonly string[], resolution: Resolution, fromMs: number, toMs: number, nowMs: number): BlockRead {
  if (!(toMs > fromMs)) throw new QueryRangeError('to', 'must be after --from');
  const periodMs = blockSlots(resolution) * resolution.stepMs;
  const firstStart = windowStartMs(fromMs, resolution.stepMs);
  const owners: string[] = [];
  const blockKeys: string[] = [];
  for (const seriesId of seriesIds) {
    for (let b = blockStartMs(firstStart, resolution); b < toMs; b += periodMs) {
      owners.push(seriesId);
      blockKeys.push(keys.block(seriesId, resolution.name, b));
    }
  }
  return {
    keys: blockKeys,
    windows(replies, offset = 0) {
      const out: StoredWindow[] = [];
      replies.forEach((bytes, j) => {
        if (bytes === null) return;
        let windows;
        try {
          windows = decodeWindowBlock(bytes).windows;
        } catch (cause) {
          throw new CorruptBlockError(blockKeys[offset + j]!, { cause });
        }
        const seriesId = owners[offset + j]!;
        for (const w of windows) {
          if (w.startMs < firstStart || w.startMs >= toMs || windowExpiresAtMs(w.startMs, resolution) <= nowMs) continue;
          out.push({ seriesId, startMs: w.startMs, reading: readingOfValues(w) });
        }
      });
      return out;
    },
  };
}

/**
 * Hot and block windows together, by series then start. A window is in one
 * place only (compaction moves it atomically); were it in both, the two would
 * be merged like any partial windows.
 */
function mergeStored(seriesIds: readonly string[], hot: StoredWindow[], blocks: StoredWindow[]): StoredWindow[] {
  if (blocks.length === 0) return hot;
  const byKey = new Map<string, StoredWindow>();
  for (const w of [...hot, ...blocks]) {
    const k = `${w.seriesId}:${w.startMs}`;
    const seen = byKey.get(k);
    if (seen === undefined) byKey.set(k, { ...w, reading: { ...w.reading } });
    else mergeReading(seen.reading, w.reading);
  }
  const order = new Map(seriesIds.map((id, i) => [id, i]));
  return [...byKey.values()].sort((a, b) => order.get(a.seriesId)! - order.get(b.seriesId)! || a.startMs - b.startMs);
}

/**
 * The stored window of one series starting at `startMs`, or null if there is
 * none: the exact hot window, or the closed one from its block (its sum rounded once).
 * @throws CorruptBlockError when its block does not decode
 */
export async function readWindow(
  redis: Redis,
  keys: RedisKeys,
  seriesId: string,
  resolution: Resolution,
  startMs: number,
  nowMs: number = Date.now(),
): Promise<WindowReading | null> {
  const hot = decodeWindowHash(await redis.hgetall(keys.window(seriesId, resolution.name, startMs)));
  const closed = await readBlockWindows(redis, keys, [seriesId], resolution, startMs, startMs + 1, nowMs);
  if (closed.length === 0) return hot;
  if (hot === null) return closed[0]!.reading;
  mergeReading(hot, closed[0]!.reading);
  return hot;
}
