import { DURATION_EXAMPLES, parseDurationMs } from './durations.ts';
import { addToLimbs, doubleToScaled, limbsToScaled, mergeLimbs, scaledToNumber, type Limbs } from './exact-sum.ts';

/**
 * Time windows: every sample lands in one window per resolution. A window is
 * `[startMs, startMs + stepMs)` with `startMs` a multiple of `stepMs` since the
 * epoch, kept in Redis until `retentionMs` after its end.
 */
export interface Resolution {
  /** Short name used in keys and on the command line, e.g. `10s`. */
  readonly name: string;
  readonly stepMs: number;
  readonly retentionMs: number;
  /**
   * How long after its end a window still takes samples (`MAX_SAMPLE_LATENESS`);
   * later ones are rejected and the window may be compacted into a block.
   * Absent: `defaultLatenessMs(stepMs)`.
   */
  readonly latenessMs?: number;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_RESOLUTIONS: readonly Resolution[] = [
  { name: '10s', stepMs: 10 * SECOND_MS, retentionMs: 6 * HOUR_MS },
  { name: '1m', stepMs: MINUTE_MS, retentionMs: 7 * DAY_MS },
  { name: '1h', stepMs: HOUR_MS, retentionMs: 90 * DAY_MS },
];

/**
 * Parses `10s:6h,1m:7d,1h:90d` (step:retention, finest first; durations as in durations.ts). Throws a plain
 * Error describing the problem; config code wraps it with the variable name.
 */
export function parseResolutions(text: string): Resolution[] {
  const out: Resolution[] = [];
  for (const part of text.split(',')) {
    const [step, retention, extra] = part.trim().split(':');
    const stepMs = parseDurationMs(step ?? '');
    const retentionMs = parseDurationMs(retention ?? '');
    if (stepMs === null || retentionMs === null || stepMs === 0 || retentionMs === 0 || extra !== undefined) {
      throw new Error(`expected step:retention of positive durations (${DURATION_EXAMPLES}) like 10s:6h, got '${part}'`);
    }
    out.push({ name: step!.trim(), stepMs, retentionMs });
  }
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.stepMs <= out[i - 1]!.stepMs) throw new Error('resolutions must be listed finest first');
  }
  return out;
}

/**
 * The default allowed lateness of a resolution: ten windows, at least 5 minutes
 * and at most 1 hour — 10s: 5m, 1m: 10m, 1h: 1h (reasons in services/shard/README.md).
 */
export function defaultLatenessMs(stepMs: number): number {
  return Math.max(5 * MINUTE_MS, Math.min(10 * stepMs, HOUR_MS));
}

/** The allowed lateness of `r` (see `Resolution.latenessMs`), never beyond its retention. */
export function latenessMs(r: Resolution): number {
  return Math.min(r.latenessMs ?? defaultLatenessMs(r.stepMs), r.retentionMs);
}

/**
 * Time by which the window starting at `startMs` closes: its end plus the
 * allowed lateness. A sample whose raw record is this late or later is not
 * written to the window; once a slot's clock passes it, compaction may move the
 * window into a block.
 */
export function windowClosesAtMs(startMs: number, r: Resolution): number {
  return startMs + r.stepMs + latenessMs(r);
}

/**
 * Parses `MAX_SAMPLE_LATENESS`: `10s:5m,1m:10m` (resolution name:duration, any
 * subset) into `resolutions` with `latenessMs` set. Throws a plain Error naming
 * the problem; config code wraps it with the variable name.
 */
export function withLateness(resolutions: readonly Resolution[], text: string | undefined): Resolution[] {
  const out = resolutions.map((r) => ({ ...r }));
  if (text === undefined || text.trim() === '') return out;
  for (const part of text.split(',')) {
    const [name, duration, extra] = part.trim().split(':');
    const ms = parseDurationMs(duration ?? '');
    const target = out.find((r) => r.name === name);
    if (ms === null || extra !== undefined || target === undefined) {
      throw new Error(`expected resolution:duration (${DURATION_EXAMPLES}) for resolutions ${out.map((r) => r.name).join(', ')}, got '${part}'`);
    }
    target.latenessMs = ms;
  }
  return out;
}

/** Start of the window of `stepMs` holding `timestampMs`. */
export function windowStartMs(timestampMs: number, stepMs: number): number {
  return Math.floor(timestampMs / stepMs) * stepMs;
}

/** When Redis may drop the window starting at `startMs`. */
export function windowExpiresAtMs(startMs: number, r: Resolution): number {
  return startMs + r.stepMs + r.retentionMs;
}

/** The order-free extremes of a window: min, max, first and last with their timestamps. */
export interface WindowExtremes {
  min: number;
  max: number;
  /** `first` is the value at the smallest timestamp; tie: the smaller value. */
  firstTsMs: number;
  first: number;
  /** `last` is the value at the largest timestamp; tie: the larger value. */
  lastTsMs: number;
  last: number;
}

/**
 * The write-side aggregate of one window. Every field merges commutatively and
 * associatively; `sumLimbs` keeps the sum exactly (see exact-sum.ts).
 */
export interface WindowAggregate extends WindowExtremes {
  count: number;
  sumLimbs: Limbs;
}

/** The read-side aggregate: the exact sum as a scaled bigint (value * 2^1074). */
export interface WindowReading extends WindowExtremes {
  count: number;
  sumScaled: bigint;
}

/** What a reader sees: the exact sum rounded once to a double. */
export interface WindowValues extends WindowExtremes {
  readonly startMs: number;
  readonly count: number;
  readonly sum: number;
}

/** A window holding one sample. `-0` is stored as `0` so min/max ties stay order-free. */
export function windowOfSample(value: number, timestampMs: number): WindowAggregate {
  const v = value === 0 ? 0 : value;
  const sumLimbs: Limbs = new Map();
  addToLimbs(sumLimbs, v);
  return { count: 1, sumLimbs, min: v, max: v, firstTsMs: timestampMs, first: v, lastTsMs: timestampMs, last: v };
}

/** Folds one sample into `w` in place. */
export function addSample(w: WindowAggregate, value: number, timestampMs: number): void {
  const v = value === 0 ? 0 : value;
  w.count += 1;
  addToLimbs(w.sumLimbs, v);
  if (v < w.min) w.min = v;
  if (v > w.max) w.max = v;
  if (timestampMs < w.firstTsMs || (timestampMs === w.firstTsMs && v < w.first)) {
    w.firstTsMs = timestampMs;
    w.first = v;
  }
  if (timestampMs > w.lastTsMs || (timestampMs === w.lastTsMs && v > w.last)) {
    w.lastTsMs = timestampMs;
    w.last = v;
  }
}

/** Merges the extremes of `from` into `into`; the same rules as the flush script. */
export function mergeExtremes(into: WindowExtremes, from: WindowExtremes): void {
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  if (from.firstTsMs < into.firstTsMs || (from.firstTsMs === into.firstTsMs && from.first < into.first)) {
    into.firstTsMs = from.firstTsMs;
    into.first = from.first;
  }
  if (from.lastTsMs > into.lastTsMs || (from.lastTsMs === into.lastTsMs && from.last > into.last)) {
    into.lastTsMs = from.lastTsMs;
    into.last = from.last;
  }
}

/** Merges `from` into `into` in place. */
export function mergeWindow(into: WindowAggregate, from: WindowAggregate): void {
  into.count += from.count;
  mergeLimbs(into.sumLimbs, from.sumLimbs);
  mergeExtremes(into, from);
}

/** A deep copy, so merging into it leaves the original alone. */
export function cloneWindow(w: WindowAggregate): WindowAggregate {
  return { ...w, sumLimbs: new Map(w.sumLimbs) };
}

/** Merges `from` into `into` in place. */
export function mergeReading(into: WindowReading, from: WindowReading): void {
  into.count += from.count;
  into.sumScaled += from.sumScaled;
  mergeExtremes(into, from);
}

/** The read-side view of a write-side aggregate. */
export function readingOf(w: WindowAggregate): WindowReading {
  const { sumLimbs, ...rest } = w;
  return { ...rest, sumScaled: limbsToScaled(sumLimbs) };
}

/** Rounds the exact sum once: what a reader sees. */
export function windowValues(startMs: number, r: WindowReading): WindowValues {
  const { sumScaled, ...rest } = r;
  return { startMs, ...rest, sum: scaledToNumber(sumScaled) };
}

/**
 * The reading of a closed window kept in a block: its sum was rounded once
 * already, so `windowValues` of the result gives `v` back field for field.
 */
export function readingOfValues(v: WindowValues): WindowReading {
  const { startMs: _startMs, sum, ...rest } = v;
  return { ...rest, sumScaled: doubleToScaled(sum) };
}

/**
 * Field names of a window hash in Redis. Sum limbs are fields `s<index>`
 * holding signed integers (see exact-sum.ts); the others hold decimal strings
 * that round-trip the double exactly.
 */
export const WINDOW_FIELDS = {
  count: 'c',
  min: 'min',
  max: 'max',
  firstTsMs: 'ft',
  first: 'f',
  lastTsMs: 'lt',
  last: 'l',
  sumLimbPrefix: 's',
} as const;

const LIMB_FIELD = /^s(\d+)$/;

/** Decodes a window hash (HGETALL reply); null when it is empty or has no count. */
export function decodeWindowHash(fields: Readonly<Record<string, string>>): WindowReading | null {
  const F = WINDOW_FIELDS;
  const count = Number(fields[F.count]);
  if (!Number.isInteger(count) || count <= 0) return null;
  const limbs: [number, string][] = [];
  for (const [name, value] of Object.entries(fields)) {
    const m = LIMB_FIELD.exec(name);
    // Stored limbs may exceed 2^53 after many flushes: summed as bigint from the decimal text.
    if (m) limbs.push([Number(m[1]), value]);
  }
  return {
    count,
    sumScaled: limbsToScaled(limbs),
    min: Number(fields[F.min]),
    max: Number(fields[F.max]),
    firstTsMs: Number(fields[F.firstTsMs]),
    first: Number(fields[F.first]),
    lastTsMs: Number(fields[F.lastTsMs]),
    last: Number(fields[F.last]),
  };
}
