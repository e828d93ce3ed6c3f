import { DEFAULT_RESOLUTIONS, DEFAULT_SAMPLE_LIMITS, SampleValidator, SeriesCardinalityLimiter, type SampleLimits } from '@ringtail/model';
import type { RawBatchRouterDeps, SeriesRouter } from '@ringtail/ingest';

/** For tests not about sample age: a record without a timestamp keeps every sample in every resolution. */
export const NO_RECORD_TIME = -1;

export const SLOTS = 4;

/** An in-memory router: slot and id from a simple string hash. */
export const fakeRouter: SeriesRouter = {
  route(key) {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
    return { seriesId: h.toString(16).padStart(16, '0'), slot: (h >>> 3) % SLOTS };
  },
};

/** RawBatchRouter dependencies over `fakeRouter`, default limits and resolutions; `limits` sets validator and cardinality limits. */
export function routerDeps(over: Partial<RawBatchRouterDeps> & { limits?: SampleLimits } = {}): RawBatchRouterDeps {
  const { limits = DEFAULT_SAMPLE_LIMITS, ...rest } = over;
  return {
    validator: new SampleValidator(limits),
    cardinality: new SeriesCardinalityLimiter(limits, 1000),
    router: fakeRouter,
    recordLimits: { maxSamples: 1000, maxBytes: 1 << 20 },
    agePolicy: { resolutions: DEFAULT_RESOLUTIONS, maxFutureMs: 10 * 60_000 },
    ...rest,
  };
}
