import type { Redis } from 'ioredis';
import { defineLuaCommands } from '@ringtail/runtime';
import { FlushFencedError, FlushScriptError } from './errors.ts';

/** Reply codes of flush-1.lua (see its header). */
export const FLUSH_REPLY = { applied: 1, alreadyApplied: 2, fenced: -1, malformed: -2 } as const;

export type FlushOutcome = 'applied' | 'already-applied';

/** A Redis client with flush-1.lua registered under `ringtailFlush`. */
export type FlushClient = Redis & {
  ringtailFlush(watermarkKey: string, payloadJson: string): Promise<unknown>;
};

/** Registers flush-1.lua on `redis` (once per client: ioredis then sends EVALSHA, falling back to EVAL). */
export function registerFlushScript(redis: Redis): FlushClient {
  defineLuaCommands(redis, { ringtailFlush: new URL('./lua/flush-1.lua', import.meta.url) });
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
    default:
      throw new FlushScriptError(reply, slot);
  }
}
