import type { Redis } from 'ioredis';
import {
  BlockCorruptError,
  blockExpiresAtMs,
  blockSlots,
  blockStartMs,
  decodeWindowBlock,
  decodeWindowHash,
  encodeWindowBlock,
  latenessMs,
  parseHotWindowMember,
  windowValues,
  type RedisKeys,
  type Resolution,
  type WindowValues,
} from '@ringtail/model';
import { defineLuaCommands } from '@ringtail/runtime';
import { CompactionScriptError } from './errors.ts';
import type { CompactionResult, WindowCompactor } from './shard-ports.ts';

/** Hot windows one pass reads per resolution; the next pass goes on where it stopped. */
const DEFAULT_MAX_WINDOWS_PER_PASS = 20_000;
/** Blocks per compact-2.lua call: keeps each script short, so it never stalls Redis for long. */
const BLOCKS_PER_SCRIPT = 100;

type CompactClient = Redis & {
  ringtailClose(closureKey: string, resolutionsJson: string): Promise<unknown>;
  ringtailCompact(closureKey: string, hotKey: string, jobJson: string, ...blocks: (Buffer | string)[]): Promise<unknown>;
};

interface PendingBlock {
  readonly key: string;
  readonly seriesId: string;
  readonly startMs: number;
  readonly windows: WindowValues[];
  readonly windowKeys: string[];
  readonly members: string[];
}

export interface RedisWindowCompactorOptions {
  readonly keys: RedisKeys;
  readonly resolutions: readonly Resolution[];
  readonly maxWindowsPerPass?: number;
}

/**
 * The WindowCompactor on Redis. `close` runs close-1.lua (closed-through from
 * the slot clock, capped by what the worker still holds). `move` reads the
 * closed hot windows (frozen: the flush script writes none of them again),
 * rounds each exact sum once, appends them to their blocks (decoded, merged,
 * re-encoded here), and hands every block to compact-2.lua, which swaps hot
 * windows for block bytes only if the block still holds what was read.
 */
export class RedisWindowCompactor implements WindowCompactor {
  private readonly redis: CompactClient;

  constructor(
    redis: Redis,
    private readonly opts: RedisWindowCompactorOptions,
  ) {
    defineLuaCommands(redis, {
      ringtailClose: new URL('./lua/close-1.lua', import.meta.url),
      ringtailCompact: new URL('./lua/compact-2.lua', import.meta.url),
    });
    this.redis = redis as CompactClient;
  }

  async close(slot: number, caps: ReadonlyMap<string, number>): Promise<Map<string, number>> {
    const args = this.opts.resolutions.map((r) => [r.name, String(r.stepMs), String(latenessMs(r)), caps.has(r.name) ? String(caps.get(r.name)) : '']);
    const reply = await this.redis.ringtailClose(this.opts.keys.closure(slot), JSON.stringify(args));
    if (!Array.isArray(reply)) throw new CompactionScriptError('close-1.lua', reply, slot);
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length; i += 2) if (reply[i + 1] !== '') out.set(String(reply[i]), Number(reply[i + 1]));
    return out;
  }

  async move(slot: number, closedThrough: ReadonlyMap<string, number>): Promise<CompactionResult> {
    const result = { windows: 0, blocks: 0, moved: 0, corrupt: [] as string[] };
    for (const r of this.opts.resolutions) {
      const ct = closedThrough.get(r.name);
      if (ct === undefined) continue;
      const one = await this.moveResolution(slot, r, ct);
      result.windows += one.windows;
      result.blocks += one.blocks;
      result.moved += one.moved;
      result.corrupt.push(...one.corrupt);
    }
    return result;
  }

  private async moveResolution(slot: number, r: Resolution, ct: number): Promise<CompactionResult> {
    const { keys } = this.opts;
    const hotKey = keys.hotWindows(slot, r.name);
    const max = this.opts.maxWindowsPerPass ?? DEFAULT_MAX_WINDOWS_PER_PASS;
    const members = await this.redis.zrangebyscore(hotKey, '-inf', `(${ct}`, 'LIMIT', 0, max);
    const result = { windows: 0, blocks: 0, moved: 0, corrupt: [] as string[] };
    if (members.length === 0) return result;
    const parsed = members.map((m) => ({ member: m, at: parseHotWindowMember(m) }));
    const hot = parsed.flatMap((p) => (p.at ? [{ member: p.member, ...p.at, key: keys.window(p.at.seriesId, r.name, p.at.startMs) }] : []));
    const read = this.redis.pipeline();
    for (const h of hot) read.hgetall(h.key);
    const replies = (await read.exec()) ?? [];
    const blocks = new Map<string, PendingBlock>();
    const gone: [string, string][] = [];
    hot.forEach((h, i) => {
      const [err, fields] = replies[i]!;
      if (err) throw err;
      const reading = decodeWindowHash(fields as Record<string, string>);
      if (reading === null) {
        gone.push([h.member, h.key]);
        return;
      }
      const startMs = blockStartMs(h.startMs, r);
      const key = keys.block(h.seriesId, r.name, startMs);
      let b = blocks.get(key);
      if (b === undefined) blocks.set(key, (b = { key, seriesId: h.seriesId, startMs, windows: [], windowKeys: [], members: [] }));
      b.windows.push(windowValues(h.startMs, reading));
      b.windowKeys.push(h.key);
      b.members.push(h.member);
    });
    // Members that are no window key of ours (never written by the flush script) are dropped too.
    for (const p of parsed) if (!p.at) gone.push([p.member, `${hotKey}:invalid`]);

    const list = [...blocks.values()];
    for (let i = 0; i < list.length || (i === 0 && gone.length > 0); i += BLOCKS_PER_SCRIPT) {
      const chunk = list.slice(i, i + BLOCKS_PER_SCRIPT);
      const stored = chunk.length === 0 ? [] : ((await this.redis.pipeline(chunk.map((b) => ['getBuffer', b.key])).exec()) ?? []);
      const job: (string | number | string[])[][] = [];
      const blobs: (Buffer | string)[] = [];
      chunk.forEach((b, j) => {
        const [err, old] = stored[j]!;
        if (err) throw err;
        const bytes = this.appended(b, r, old as Buffer | null, result.corrupt);
        if (bytes === null) return;
        job.push([b.key, blockExpiresAtMs(b.startMs, r), b.windowKeys, b.members]);
        blobs.push((old as Buffer | null) ?? '', bytes);
      });
      const reply = await this.redis.ringtailCompact(keys.closure(slot), hotKey, JSON.stringify({ r: r.name, b: job, g: i === 0 ? gone : [] }), ...blobs);
      if (!Array.isArray(reply) || reply.length !== 3) throw new CompactionScriptError('compact-2.lua', reply, slot);
      const [written, moved, windows] = reply as [number, number, number];
      result.blocks += written;
      result.moved += moved;
      result.windows += windows;
    }
    return result;
  }

  /** The block's new bytes: its stored windows plus `b`'s; null (and a note in `corrupt`) when it cannot be extended. */
  private appended(b: PendingBlock, r: Resolution, old: Buffer | null, corrupt: string[]): Buffer | null {
    let existing: readonly WindowValues[] = [];
    if (old !== null && old.length > 0) {
      try {
        existing = decodeWindowBlock(old).windows;
      } catch (err) {
        // Never overwrite a block we cannot read: its windows would be lost. The hot ones stay hot.
        if (err instanceof BlockCorruptError) {
          corrupt.push(`${b.key}: ${err.message}`);
          return null;
        }
        throw err;
      }
    }
    const taken = new Set(existing.map((w) => w.startMs));
    if (b.windows.some((w) => taken.has(w.startMs))) {
      corrupt.push(`${b.key}: a hot window is already in its block`);
      return null;
    }
    const windows = [...existing, ...b.windows].sort((x, y) => x.startMs - y.startMs);
    return Buffer.from(encodeWindowBlock({ startMs: b.startMs, stepMs: r.stepMs, slots: blockSlots(r), windows }));
  }
}
