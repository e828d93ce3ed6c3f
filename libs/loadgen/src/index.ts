export { SampleGenerator, prng, type GeneratorOptions, type RawSample } from './sample-generator.ts';
export { produceLoad, type LoadOptions, type LoadResult } from './load-producer.ts';
export { percentile } from './percentile.ts';
