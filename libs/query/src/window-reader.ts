import type { Redis } from 'ioredis';
import { decodeWindowHash, windowStartMs, type RedisKeys, type Resolution, type WindowReading } from '@ringtail/model';
import { QueryRangeError } from './errors.ts';

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
 * series; windows that do not exist (no sample, or expired) are left out.
 */
export async function readWindows(
  redis: Redis,
  keys: RedisKeys,
  seriesIds: readonly string[],
  resolution: Resolution,
  fromMs: number,
  toMs: number,
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
  return out;
}

/** The exact stored window of one series, or null if there is none. */
export async function readWindow(
  redis: Redis,
  keys: RedisKeys,
  seriesId: string,
  resolution: Resolution,
  startMs: number,
): Promise<WindowReading | null> {
  return decodeWindowHash(await redis.hgetall(keys.window(seriesId, resolution.name, startMs)));
}
