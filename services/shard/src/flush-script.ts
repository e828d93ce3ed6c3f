import type { Redis } from 'ioredis';
import { defineLuaCommands } from '@ringtail/runtime';
import { ClosedWindowsMovedError, FlushFencedError, FlushScriptError } from './errors.ts';

/** Reply codes of flush-2.lua (see its header). */
export const FLUSH_REPLY = { applied: 1, alreadyApplied: 2, fenced: -1, malformed: -2, closedMoved: -3, notAsKnown: -4 } as const;

export type FlushOutcome = 'applied' | 'already-applied';

/** Field of the watermark hash holding the shard-topic offset to resume from (see flush-2.lua). */
export const RESUME_OFFSET_FIELD = 'k';

/** A merged window's entry in the reply when its row created it: Redis holds the delta alone (see flush-2.lua). */
export const CREATED_WINDOW = 1;

/**
 * What an applied script reports: the slot's watermark hash and, per merged (`w`) window in order,
 * its fields as stored, or CREATED_WINDOW.
 */
export interface AppliedReply {
  readonly watermarks: readonly string[];
  readonly merged: readonly (readonly string[] | typeof CREATED_WINDOW)[];
}

/** The script's reply, decoded: `notAsKnown` means send the batch again as deltas (known-windows.ts). */
export type FlushReply =
  | { readonly outcome: 'applied'; readonly applied: AppliedReply }
  | { readonly outcome: 'already-applied' }
  | { readonly outcome: 'not-as-known' };

/** A Redis client with flush-2.lua registered under `ringtailFlush`. */
export type FlushClient = Redis & {
  ringtailFlush(watermarkKey: string, closureKey: string, payloadJson: string): Promise<unknown>;
};

/** Registers flush-2.lua on `redis` (once per client: ioredis then sends EVALSHA, falling back to EVAL). */
export function registerFlushScript(redis: Redis): FlushClient {
  defineLuaCommands(redis, { ringtailFlush: new URL('./lua/flush-2.lua', import.meta.url) });
  return redis as FlushClient;
}

/** Turns the script's reply into a FlushReply or a typed error: the one place that knows the codes. */
export function flushReply(reply: unknown, slot: number): FlushReply {
  if (Array.isArray(reply) && reply[0] === FLUSH_REPLY.applied && Array.isArray(reply[1]) && Array.isArray(reply[2])) {
    return { outcome: 'applied', applied: { watermarks: reply[1] as string[], merged: reply[2] as (string[] | typeof CREATED_WINDOW)[] } };
  }
  switch (reply) {
    case FLUSH_REPLY.alreadyApplied:
      return { outcome: 'already-applied' };
    case FLUSH_REPLY.notAsKnown:
      return { outcome: 'not-as-known' };
    case FLUSH_REPLY.fenced:
      throw new FlushFencedError(slot);
    case FLUSH_REPLY.closedMoved:
      throw new ClosedWindowsMovedError(slot);
    default:
      throw new FlushScriptError(reply, slot);
  }
}
