/**
 * One-off comparison behind the algorithm choice in README.md: how many ketama
 * points per node npm `hashring` needs for peak/mean ≤ 1.05 (exact shares), and
 * the cost of a Jump-hash lookup next to a slot-table lookup (hash excluded).
 * Run: `npx tsx libs/hashring/bench/alternatives.ts`.
 */
import { createRequire } from 'node:module';
import { SlotRing } from '../src/index.ts';
import { baselineExactBalance, type BaselineRing } from './baseline-ring.ts';
import { median, workerIds } from './measure.ts';

type Ctor = new (servers: string[], algorithm: string, options: Record<string, number>) => BaselineRing;
const HashRing = createRequire(import.meta.url)('hashring') as Ctor;

for (const n of [10, 100, 1000]) {
  for (const vnodes of [40, 160, 640, 2560]) {
    if (n * vnodes > 640_000) continue;
    const start = performance.now();
    const ring = new HashRing(workerIds(n), 'md5', { 'vnode count': vnodes });
    const ms = performance.now() - start;
    console.log(`ketama N=${n} points/node=${vnodes * 4} peak/mean=${baselineExactBalance(ring, workerIds(n)).toFixed(4)} build=${ms.toFixed(0)}ms`);
  }
}

/** Jump consistent hash with a 32-bit xorshift stream seeded from the hash words. */
function jump(hi: number, lo: number, buckets: number): number {
  let state = (hi ^ Math.imul(lo, 0x9e3779b1)) >>> 0 || 1;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    j = Math.floor((b + 1) * (4294967296 / ((state >>> 0) + 1)));
  }
  return b;
}

const hashes = Array.from({ length: 1 << 20 }, (_, i) => [Math.imul(i, 0x85ebca6b) >>> 0, Math.imul(i ^ 0x5bd1e995, 0xc2b2ae35) >>> 0] as const);
for (const n of [100, 1000]) {
  const ids = workerIds(n);
  const ring = SlotRing.of(ids);
  const rate = (lookup: (hi: number, lo: number) => string): number =>
    median(
      [0, 1, 2, 3, 4].map(() => {
        let sink = 0;
        const start = performance.now();
        for (const [hi, lo] of hashes) sink += lookup(hi, lo).length;
        if (sink === 0) throw new Error('no lookups');
        return hashes.length / ((performance.now() - start) / 1000);
      }),
    );
  const slot = rate((hi, lo) => ring.ownerOfWords(hi, lo));
  const jumped = rate((hi, lo) => ids[jump(hi, lo, n)] as string);
  console.log(`N=${n} lookups/s without hashing: slot table ${(slot / 1e6).toFixed(1)}M, jump ${(jumped / 1e6).toFixed(1)}M`);
}
