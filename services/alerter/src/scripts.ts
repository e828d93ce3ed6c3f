import type { ChainableCommander, Redis } from 'ioredis';
import { defineLuaCommands } from '@ringtail/runtime';

const script = (file: string) => new URL(`./lua/${file}`, import.meta.url);
const SCRIPTS = {
  alerterLease: script('lease-2.lua'),
  alerterRelease: script('release-1.lua'),
  alerterCommit: script('commit-6.lua'),
  alerterSettle: script('settle-5.lua'),
  alerterReplay: script('replay-3.lua'),
  alerterReadWindows: script('read-windows-1.lua'),
  alerterDue: script('due-3.lua'),
};

type Arg = string | number;

/** A Redis client with the alerter's Lua scripts registered (see each file's header). */
export type ScriptClient = Redis & {
  alerterLease(lease: string, fence: string, instanceId: string, ttlMs: Arg): Promise<[number, string]>;
  alerterRelease(lease: string, leaseValue: string): Promise<number>;
  alerterCommit(lease: string, alerts: string, groups: string, outbox: string, due: string, lastCommit: string, leaseValue: string, changes: string, outboxMaxLen: Arg, commitId: string): Promise<number>;
  alerterSettle(lease: string, due: string, attempts: string, dead: string, disabled: string, ...argv: Arg[]): Promise<number>;
  /** `groups`: per query, its fields, its number of window keys, then the keys (see read-windows-1.lua). */
  alerterReadWindows(anchor: string, ...groups: string[]): Promise<(string | null)[][]>;
  alerterReplay(dead: string, outbox: string, due: string, deadId: string, nowMs: Arg, outboxMaxLen: Arg): Promise<string | number>;
};

/** A pipeline of a ScriptClient, with the scripts it is sent in pipelines. */
export type ScriptPipeline = ChainableCommander & {
  alerterReadWindows(anchor: string, ...groups: string[]): ScriptPipeline;
  alerterDue(due: string, outbox: string, attempts: string, nowMs: Arg, limit: Arg): ScriptPipeline;
};

/** Registers every alerter script on `redis` (idempotent per client; see defineLuaCommands). */
export function withScripts(redis: Redis): ScriptClient {
  defineLuaCommands(redis, SCRIPTS);
  return redis as ScriptClient;
}

/** Reply codes shared by the fenced scripts. */
export const FENCED = -1;
export const MALFORMED = -2;
/** commit-6.lua: the same commit was applied before (a re-sent script). */
export const ALREADY_APPLIED = -3;
