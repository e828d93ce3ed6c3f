import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const SCRIPTS = {
  alerterLease: { file: 'lease-2.lua', numberOfKeys: 2 },
  alerterRelease: { file: 'release-1.lua', numberOfKeys: 1 },
  alerterCommit: { file: 'commit-6.lua', numberOfKeys: 6 },
  alerterSettle: { file: 'settle-5.lua', numberOfKeys: 5 },
  alerterReplay: { file: 'replay-3.lua', numberOfKeys: 3 },
  alerterReadWindows: { file: 'read-windows-1.lua', numberOfKeys: 1 },
} as const;

type Arg = string | number;

/** A Redis client with the alerter's Lua scripts registered (see each file's header). */
export type ScriptClient = Redis & {
  alerterLease(lease: string, fence: string, instanceId: string, ttlMs: Arg): Promise<[number, string]>;
  alerterRelease(lease: string, leaseValue: string): Promise<number>;
  alerterCommit(lease: string, alerts: string, groups: string, outbox: string, due: string, lastCommit: string, leaseValue: string, changes: string, outboxMaxLen: Arg, commitId: string): Promise<number>;
  alerterSettle(lease: string, due: string, attempts: string, dead: string, disabled: string, ...argv: Arg[]): Promise<number>;
  alerterReadWindows(anchor: string, fields: string, ...windowKeys: string[]): Promise<(string | null)[][]>;
  alerterReplay(dead: string, outbox: string, due: string, deadId: string, nowMs: Arg, outboxMaxLen: Arg): Promise<string | number>;
};

const registered = new WeakSet<Redis>();

/**
 * Registers every alerter script on `redis`, once per client: ioredis then
 * sends EVALSHA and falls back to EVAL after a failover to a fresh primary.
 */
export function withScripts(redis: Redis): ScriptClient {
  if (!registered.has(redis)) {
    for (const [name, s] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: s.numberOfKeys, lua: readFileSync(new URL(`./lua/${s.file}`, import.meta.url), 'utf8') });
    }
    registered.add(redis);
  }
  return redis as ScriptClient;
}

/** Reply codes shared by the fenced scripts. */
export const FENCED = -1;
export const MALFORMED = -2;
/** commit-6.lua: the same commit was applied before (a re-sent script). */
export const ALREADY_APPLIED = -3;
