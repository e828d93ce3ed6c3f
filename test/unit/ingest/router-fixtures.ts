import { DEFAULT_RESOLUTIONS, DEFAULT_SAMPLE_LIMITS, SampleValidator, SeriesCardinalityLimiter, type SampleLimits } from '@ringtail/model';
import type { RawBatchRouterDeps, SeriesRouter } from '@ringtail/ingest';

/** For tests not about sample age: a record without a timestamp keeps every sample in every resolution. */
export const NO_RECORD_TIME = -1;

export const WORKERS = ['w0', 'w1', 'w2'];

/** An in-memory router: owner by a simple string hash, id = the key's length-prefixed hash. */
export const fakeRouter: SeriesRouter = {
  epoch: 7,
  route(key) {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
    return { seriesId: h.toString(16).padStart(16, '0'), owner: WORKERS[h % WORKERS.length] as string, partitionKey: h >>> 3 };
  },
};

/** RawBatchRouter dependencies over `fakeRouter`, default limits and resolutions; `limits` sets validator and cardinality limits. */
export function routerDeps(over: Partial<RawBatchRouterDeps> & { limits?: SampleLimits } = {}): RawBatchRouterDeps {
  const { limits = DEFAULT_SAMPLE_LIMITS, ...rest } = over;
  return {
    validator: new SampleValidator(limits),
    cardinality: new SeriesCardinalityLimiter(limits, 1000),
    router: fakeRouter,
    shardTopicPartitions: 4,
    recordLimits: { maxSamples: 1000, maxBytes: 1 << 20 },
    agePolicy: { resolutions: DEFAULT_RESOLUTIONS, maxFutureMs: 10 * 60_000 },
    ...rest,
  };
}
