import type { Redis } from 'ioredis';
import { defineLuaCommands } from '@ringtail/runtime';
import { ClosedWindowsMovedError, FlushFencedError, FlushScriptError } from './errors.ts';

/** Reply codes of flush-2.lua (see its header). */
export const FLUSH_REPLY = { applied: 1, alreadyApplied: 2, fenced: -1, malformed: -2, closedMoved: -3 } as const;

export type FlushOutcome = 'applied' | 'already-applied';

/** A Redis client with flush-2.lua registered under `ringtailFlush`. */
export type FlushClient = Redis & {
  ringtailFlush(watermarkKey: string, closureKey: string, payloadJson: string): Promise<unknown>;
};

/** Registers flush-2.lua on `redis` (once per client: ioredis then sends EVALSHA, falling back to EVAL). */
export function registerFlushScript(redis: Redis): FlushClient {
  defineLuaCommands(redis, { ringtailFlush: new URL('./lua/flush-2.lua', import.meta.url) });
  return redis as FlushClient;
}

/** Turns the script's reply into an outcome or a typed error: the one place that knows the codes. */
export function flushOutcome(reply: unknown, slot: number): FlushOutcome {
  switch (reply) {
    case FLUSH_REPLY.applied:
      return 'applied';
    case FLUSH_REPLY.alreadyApplied:
      return 'already-applied';
    case FLUSH_REPLY.fenced:
      throw new FlushFencedError(slot);
    case FLUSH_REPLY.closedMoved:
      throw new ClosedWindowsMovedError(slot);
    default:
      throw new FlushScriptError(reply, slot);
  }
}
