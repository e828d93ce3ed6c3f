/** A metric sample exactly as producers write it to `metrics.raw`. */
export interface RawSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp: number;
}

export interface GeneratorOptions {
  /** Distinct series produced, round-robin. */
  readonly seriesCount: number;
  /** Labels per series (1..8): host, region, az, service, ... */
  readonly labelsPerSeries: number;
  /** Distinct metric names the series are spread over. */
  readonly metricNames: number;
  /** Samples are stamped up to this many ms before "now", so windows receive them out of order. */
  readonly jitterMs: number;
  /** PRNG seed: the same seed and clock give the same samples. */
  readonly seed: number;
}

const LABEL_NAMES = ['host', 'region', 'az', 'service', 'env', 'version', 'pod', 'path'] as const;

/** mulberry32: deterministic numbers in [0, 1) from a seed; small, fast, good enough for load shapes and tests (not for cryptography). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic sample source. Values are multiples of 0.25 within ±1000, so sums
 * of up to millions of them are exact in doubles whatever the summation order —
 * which lets tests compare sums for equality.
 */
export class SampleGenerator {
  private readonly random: () => number;
  private readonly series: { name: string; labels: Record<string, string> }[];
  private cursor = 0;

  constructor(private readonly opts: GeneratorOptions) {
    this.random = prng(opts.seed);
    const labelCount = Math.max(1, Math.min(LABEL_NAMES.length, opts.labelsPerSeries));
    this.series = Array.from({ length: opts.seriesCount }, (_, i) => {
      const labels: Record<string, string> = {};
      for (let l = 0; l < labelCount; l++) {
        const name = LABEL_NAMES[l]!;
        labels[name] = l === 0 ? `${name}-${i.toString().padStart(6, '0')}` : `${name}-${(i * 7 + l) % 13}`;
      }
      return { name: `ringtail_demo_metric_${i % Math.max(1, opts.metricNames)}`, labels };
    });
  }

  /** The next `count` samples, round-robin over the series, stamped relative to `nowMs`. */
  next(count: number, nowMs: number): RawSample[] {
    const out: RawSample[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const s = this.series[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.series.length;
      // `+ 0` turns -0 into 0: producers may send -0, but a generated record should not depend on it.
      const value = Math.round((this.random() * 2000 - 1000) * 4) / 4 + 0;
      const timestamp = nowMs - Math.floor(this.random() * (this.opts.jitterMs + 1));
      out[i] = { name: s.name, labels: s.labels, value, timestamp };
    }
    return out;
  }
}
