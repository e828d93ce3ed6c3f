import type { Redis } from 'ioredis';
import { DEFAULT_RESOLUTIONS, type RedisKeys, type Resolution, type WindowValues } from '@ringtail/model';
import { findSeries, type SeriesInfo } from './series-finder.ts';
import { parseSelector, type Selector } from './selector.ts';
import { pickResolution } from './resolution-picker.ts';
import { aggregateSteps } from './step-aggregation.ts';
import { readWindows } from './window-reader.ts';

export interface QueryOptions {
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
  /** Step of the returned points; picks the resolution read (see pickResolution). Default: the window of the resolution the range picks. */
  readonly stepMs?: number;
  readonly resolutions?: readonly Resolution[];
}

export interface SeriesRow {
  readonly series: SeriesInfo;
  /** Resolution the windows were read at. */
  readonly resolution: string;
  readonly stepMs: number;
  /** One point per step holding data, by step start; steps without samples are left out. */
  readonly points: readonly WindowValues[];
}

/**
 * Runs a selector over [fromMs, toMs): finds the matching series and returns
 * their windows merged into steps. Windows overlapping the range are included
 * whole (a window is the smallest unit stored).
 */
export async function querySeries(
  redis: Redis,
  keys: RedisKeys,
  selector: string | Selector,
  opts: QueryOptions,
): Promise<SeriesRow[]> {
  const parsed = typeof selector === 'string' ? parseSelector(selector) : selector;
  const resolution = pickResolution(opts.resolutions ?? DEFAULT_RESOLUTIONS, { rangeMs: opts.toMs - opts.fromMs, stepMs: opts.stepMs });
  const stepMs = opts.stepMs ?? resolution.stepMs;
  const series = await findSeries(redis, keys, parsed);
  const windows = await readWindows(redis, keys, series.map((s) => s.id), resolution, opts.fromMs, opts.toMs);
  return series.map((s) => ({
    series: s,
    resolution: resolution.name,
    stepMs,
    points: aggregateSteps(windows.filter((w) => w.seriesId === s.id), stepMs),
  }));
}
