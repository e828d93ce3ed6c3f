import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scriptKeyCount } from '@ringtail/runtime';

const ROOT = new URL('../../../', import.meta.url);

describe('Lua script names', () => {
  it('give the key count', () => {
    expect(scriptKeyCount('/x/lua/flush-1.lua')).toBe(1);
    expect(scriptKeyCount('read-windows-12.lua')).toBe(12);
  });

  it.each(['flush.lua', 'flush-a.lua', 'Flush-1.lua', 'flush-1.txt'])('refuses %j', (file) => {
    expect(() => scriptKeyCount(file)).toThrow(/is not named <name>-<numKeys>\.lua/);
  });

  it.each(['services/shard/src/lua', 'services/alerter/src/lua'])('every script under %s uses as many KEYS as its name says', (dir) => {
    const url = new URL(`${dir}/`, ROOT);
    for (const file of readdirSync(url)) {
      const source = readFileSync(new URL(file, url), 'utf8');
      const keys = new Set([...source.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
      expect({ file, keys: Math.max(0, ...keys) }).toEqual({ file, keys: scriptKeyCount(file) });
    }
  });
});

