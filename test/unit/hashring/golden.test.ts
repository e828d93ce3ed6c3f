import { readFileSync } from 'node:fs';
import xxhash from 'xxhash-wasm';
import { describe, expect, it } from 'vitest';
import { canonicalSeriesKey, createSeriesHasher, seriesIdHex, SlotRing, type RingChange } from '@ringtail/hashring';

/** Written once by generate-golden.ts; this test only reads it. */
interface Golden {
  history: RingChange[];
  members: string[];
  tableH64: string;
  series: { name: string; labels: Record<string, string>; key: string; id: string; owner: string }[];
}

const golden = JSON.parse(readFileSync(new URL('./golden.json', import.meta.url), 'utf8')) as Golden;

describe('golden routing', () => {
  it('keeps every canonical key, series id and owner of the golden file', async () => {
    const api = await xxhash();
    const hasher = createSeriesHasher(api);
    const ring = SlotRing.fromHistory(golden.history);
    expect(ring.members()).toEqual(golden.members);
    expect(api.h64ToString(ring.snapshot().table)).toBe(golden.tableH64);
    const viaSnapshot = SlotRing.fromSnapshot(JSON.parse(JSON.stringify(ring.snapshot())));
    const mismatches = golden.series.filter(({ name, labels, key, id, owner }) => {
      const actualKey = canonicalSeriesKey(name, labels);
      const h = hasher.hash(actualKey);
      return actualKey !== key || seriesIdHex(h) !== id || ring.ownerOf(h) !== owner || viaSnapshot.ownerOf(h) !== owner;
    });
    expect(mismatches).toEqual([]);
    expect(golden.series.length).toBeGreaterThanOrEqual(300);
  });
});
