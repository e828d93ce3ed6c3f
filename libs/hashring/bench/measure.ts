import { SLOT_COUNT, type SeriesHasher, SlotRing } from '../src/index.ts';

/** `count` worker ids `w0`..`w{count-1}`, optionally with a prefix. */
export function workerIds(count: number, prefix = 'w'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

/**
 * Median lookups per second of each of `lookups` over `keys`: `passes` passes
 * per round, rounds interleaved across the lookups (after one warm-up round) so
 * load from other processes on the machine hits all of them alike.
 */
export function lookupRates(
  lookups: readonly ((key: string) => string)[],
  keys: readonly string[],
  passes: number,
  rounds: number,
): number[] {
  let sink = 0;
  const rates: number[][] = lookups.map(() => []);
  for (let r = 0; r <= rounds; r++) {
    lookups.forEach((lookup, l) => {
      const start = performance.now();
      for (let p = 0; p < passes; p++) for (let i = 0; i < keys.length; i++) sink += lookup(keys[i] as string).length;
      const seconds = (performance.now() - start) / 1000;
      if (r > 0) rates[l]!.push((passes * keys.length) / seconds);
    });
  }
  if (sink === 0) throw new Error('lookups returned nothing');
  return rates.map(median);
}

/** Exact peak/mean hash-space share of an equal-weight ring. */
export function exactBalance(ring: SlotRing): number {
  const most = Math.max(...ring.shares().map((s) => s.slots));
  return most / (SLOT_COUNT / ring.size);
}

/**
 * Peak/mean owned-key count over `keysPerNode × size` synthetic keys of
 * canonical shape, generated on the fly (sampling, so noise of ~1/√keysPerNode).
 */
export function sampledBalance(ring: SlotRing, hasher: SeriesHasher, keysPerNode: number): number {
  const counts = new Map<string, number>(ring.members().map((m) => [m, 0]));
  const total = keysPerNode * ring.size;
  for (let i = 0; i < total; i++) {
    const owner = hasher.ownerOfKey(ring, `http_requests_total{instance="10.0.0.${i & 255}:9100",job="api",series="${i}"}`);
    counts.set(owner, (counts.get(owner) as number) + 1);
  }
  return Math.max(...counts.values()) / keysPerNode;
}

/** Exact movement between two rings, slot by slot. */
export interface SlotMovement {
  /** Fraction of the hash space whose owner changed. */
  readonly movedShare: number;
  /** Slots whose owner changed although both old and new owner are in both rings. */
  readonly movedBetweenKept: number;
  /** Slots whose owner changed although the old owner is still a member (leave check). */
  readonly movedFromStayers: number;
}

export function slotMovement(before: SlotRing, after: SlotRing): SlotMovement {
  let moved = 0;
  let betweenKept = 0;
  let fromStayers = 0;
  for (let s = 0; s < SLOT_COUNT; s++) {
    const a = before.ownerOfSlot(s);
    const b = after.ownerOfSlot(s);
    if (a === b) continue;
    moved++;
    if (after.has(a)) fromStayers++;
    if (after.has(a) && before.has(b)) betweenKept++;
  }
  return { movedShare: moved / SLOT_COUNT, movedBetweenKept: betweenKept, movedFromStayers: fromStayers };
}

/** Keys whose owner differs between two lookups, and how many moved between workers both know. */
export function sampledMovement(
  keys: readonly string[],
  before: (key: string) => string,
  after: (key: string) => string,
  joiner: string,
): { movedShare: number; movedBetweenExisting: number } {
  let moved = 0;
  let between = 0;
  for (const key of keys) {
    const a = before(key);
    const b = after(key);
    if (a === b) continue;
    moved++;
    if (b !== joiner) between++;
  }
  return { movedShare: moved / keys.length, movedBetweenExisting: between };
}

/** Median milliseconds of `run` over `rounds` calls (after one warm-up call). */
export function medianMs(run: (round: number) => unknown, rounds: number): number {
  run(-1);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    run(r);
    times.push(performance.now() - start);
  }
  return median(times);
}
