import type { Redis } from 'ioredis';
import type { RedisKeys, Resolution } from '@ringtail/model';
import type { Matcher } from './domain/ast.ts';
import { StorageUnavailableError } from './domain/errors.ts';
import type { SeriesRef, SeriesWindow, WindowSource } from './domain/window-source.ts';
import { findSeriesOfEach, labelPredicate, MAX_WINDOWS_PER_QUERY, readWindows, windowStarts, type SeriesCache } from '@ringtail/query';

/** Windows one readWindows call asks for, and how many such calls run at once. */
const WINDOWS_PER_READ = 5_000;
const READS_IN_FLIGHT = 4;

/**
 * The evaluator's WindowSource over Redis, through @ringtail/query's one
 * series lookup and window reader. A selector without a `__name__ =` matcher
 * is run once per stored metric name its name matchers accept. Redis errors
 * become StorageUnavailableError (503).
 */
export class RedisWindowSource implements WindowSource {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly cache: SeriesCache,
  ) {}

  /** Every metric name stored, sorted. */
  async metricNames(): Promise<string[]> {
    return this.guard(async () => (await this.redis.smembers(this.keys.metricNames)).sort());
  }

  async series(matchers: readonly Matcher[]): Promise<SeriesRef[]> {
    const byName = matchers.filter((m) => m.name === '__name__');
    const others = matchers.filter((m) => m.name !== '__name__');
    const exact = byName.find((m) => m.op === '=');
    const names = exact ? [exact.value] : await this.metricNames();
    const nameMatches = labelPredicate(byName);
    const selectors = names.filter((name) => nameMatches({ __name__: name })).map((metric) => ({ metric, matchers: others }));
    // Every matching metric name's lookup in the same two round trips.
    const found = await this.guard(async () =>
      (await findSeriesOfEach(this.redis, this.keys, selectors, this.cache)).map((r) => {
        if (r instanceof Error) throw r;
        return r;
      }),
    );
    return found.flat().map((s) => ({ id: s.id, labels: { __name__: s.name, ...s.labels } }));
  }

  async windows(seriesIds: readonly string[], resolution: Resolution, fromMs: number, toMs: number): Promise<SeriesWindow[]> {
    // Smaller readWindows calls, at most READS_IN_FLIGHT of them at once over every query this source serves:
    // round trips overlap, yet no command waits behind so many others that it passes the client's command
    // timeout. Each stays far under MAX_WINDOWS_PER_QUERY (the evaluator has checked the query's own limit).
    const perSeries = Math.max(1, windowStarts(resolution, fromMs, toMs).length);
    const chunk = Math.max(1, Math.floor(Math.min(WINDOWS_PER_READ, MAX_WINDOWS_PER_QUERY) / perSeries));
    const parts: (readonly string[])[] = [];
    for (let i = 0; i < seriesIds.length; i += chunk) parts.push(seriesIds.slice(i, i + chunk));
    const reads = await Promise.all(parts.map((part) => this.limited(() => this.guard(() => readWindows(this.redis, this.keys, part, resolution, fromMs, toMs)))));
    return reads.flat();
  }

  private async limited<T>(read: () => Promise<T>): Promise<T> {
    while (this.inFlight >= READS_IN_FLIGHT) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight += 1;
    try {
      return await read();
    } finally {
      this.inFlight -= 1;
      this.waiting.shift()?.();
    }
  }

  private async guard<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new StorageUnavailableError({ cause: err });
    }
  }
}
