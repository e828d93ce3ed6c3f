import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Redis } from 'ioredis';

const SCRIPT_FILE = /^[a-z][a-z0-9-]*-(\d+)\.lua$/;

/**
 * The number of KEYS of a script named `<name>-<numKeys>.lua` (the BullMQ
 * convention this project follows); throws for a file not named so, because a
 * wrong key count silently shifts every KEYS/ARGV index of the script.
 */
export function scriptKeyCount(file: string): number {
  const m = SCRIPT_FILE.exec(basename(file));
  if (!m) throw new Error(`Lua script '${basename(file)}' is not named <name>-<numKeys>.lua`);
  return Number(m[1]);
}

const defined = new WeakMap<Redis, Set<string>>();

/**
 * Registers each script file (a URL, usually `new URL('./lua/x-2.lua',
 * import.meta.url)`) on `redis` with `defineCommand` under its command name,
 * the key count taken from the file name. Idempotent per client: ioredis then
 * sends EVALSHA and falls back to EVAL after a failover to a fresh primary.
 */
export function defineLuaCommands(redis: Redis, scripts: Readonly<Record<string, URL>>): void {
  let names = defined.get(redis);
  if (!names) defined.set(redis, (names = new Set()));
  for (const [command, url] of Object.entries(scripts)) {
    if (names.has(command)) continue;
    redis.defineCommand(command, { numberOfKeys: scriptKeyCount(url.pathname), lua: readFileSync(url, 'utf8') });
    names.add(command);
  }
}
