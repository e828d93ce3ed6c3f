/**
 * The fault suite's schedule: which faults, in which order, after which pauses.
 * Pure: the same seed and profile give the same schedule, so a failing run is
 * replayed with `--seed`.
 */
import { prng } from '@ringtail/loadgen';

export const FAULT_KINDS = [
  'kill-ingest',
  'kill-shard',
  'kill-alerter',
  'pause-ingest',
  'pause-shard',
  'pause-alerter',
  'kill-redis-primary',
  'kill-redis-replica',
  'kill-sentinel',
  'kill-broker',
  'shard-join',
  'shard-leave',
  'malformed-burst',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ProfileSpec {
  readonly name: 'ci' | 'full';
  /** Faults of each kind; the schedule holds every kind this many times. */
  readonly rounds: number;
  /** The run goes on (load and faults) until at least this many samples were produced. */
  readonly minSamples: number;
  /** Samples per second of background load. */
  readonly ratePerSec: number;
  /** Pause before each fault, drawn uniformly in [min, max] ms: the "random time" it strikes at. */
  readonly gapMs: readonly [number, number];
}

export const PROFILES: Readonly<Record<ProfileSpec['name'], ProfileSpec>> = {
  // One fault of each kind, 100k samples or more: the short profile .ci/run runs.
  ci: { name: 'ci', rounds: 1, minSamples: 100_000, ratePerSec: 1500, gapMs: [2000, 6000] },
  // Two of each kind (26 faults) and a million samples or more.
  full: { name: 'full', rounds: 2, minSamples: 1_000_000, ratePerSec: 2500, gapMs: [3000, 12_000] },
};

export interface ScheduledFault {
  readonly kind: FaultKind;
  /** Steady load before this fault strikes, ms (after the previous one has recovered). */
  readonly gapMs: number;
  /** A number in [0, 1) for choices the fault makes when it strikes (which worker, which Sentinel). */
  readonly pick: number;
}

/** Every kind `rounds` times, shuffled (Fisher–Yates), each after a random gap. */
export function faultSchedule(profile: ProfileSpec, seed: number): ScheduledFault[] {
  const random = prng(seed);
  const kinds: FaultKind[] = [];
  for (let r = 0; r < profile.rounds; r++) kinds.push(...FAULT_KINDS);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const [lo, hi] = profile.gapMs;
  return kinds.map((kind) => ({ kind, gapMs: Math.round(lo + random() * (hi - lo)), pick: random() }));
}

/** Count of faults by kind, in FAULT_KINDS order. */
export function countByKind(kinds: Iterable<FaultKind>): Record<FaultKind, number> {
  const out = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const k of kinds) out[k] += 1;
  return out;
}
