import { createRequire } from 'node:module';

/** The slice of npm `hashring` (ketama on md5) the bench compares against. */
export interface BaselineRing {
  get(key: string): string;
  add(servers: string[]): void;
  remove(server: string): void;
  readonly ring: readonly { readonly value: number; readonly server: string }[];
}

type BaselineRingClass = new (servers: string[]) => BaselineRing;

// npm `hashring` is CommonJS without type declarations.
const HashRing = createRequire(import.meta.url)('hashring') as BaselineRingClass;

/** A fresh npm `hashring` with default options (160 md5 points per server, LRU cache of 5000). */
export function createBaselineRing(servers: readonly string[]): BaselineRing {
  return new HashRing([...servers]);
}

/**
 * Exact peak/mean hash-space share of a baseline ring, from its continuum: a
 * point owns the 32-bit arc from the previous point (exclusive) to itself.
 */
export function baselineExactBalance(ring: BaselineRing, servers: readonly string[]): number {
  const points = ring.ring;
  const arcs = new Map<string, number>(servers.map((s) => [s, 0]));
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    const prev = i === 0 ? (points[points.length - 1]!.value - 2 ** 32) : points[i - 1]!.value;
    arcs.set(point.server, (arcs.get(point.server) ?? 0) + (point.value - prev));
  }
  return Math.max(...arcs.values()) / (2 ** 32 / servers.length);
}
