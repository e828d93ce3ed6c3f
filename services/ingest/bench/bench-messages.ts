/** The time the bench messages' samples start at: also their Kafka records' timestamp, so every sample is on time. */
export const BENCH_TIME_MS = 1_732_540_000_000;

/** Raw messages of `samplesPerMessage` samples each over 14,000 series (5 labels), as JSON bytes. */
export function benchMessages(count: number, samplesPerMessage: number): Buffer[] {
  const out: Buffer[] = [];
  let n = 0;
  for (let m = 0; m < count; m++) {
    const samples = [];
    for (let s = 0; s < samplesPerMessage; s++, n++) {
      samples.push({
        name: `http_requests_total_${n % 10}`,
        labels: { host: `host-${n % 2000}`, region: `r${n % 5}`, method: 'GET', status: String(200 + (n % 4)), path: `/api/v${n % 7}` },
        value: n * 0.5,
        timestamp: BENCH_TIME_MS + n,
      });
    }
    out.push(Buffer.from(JSON.stringify(samples)));
  }
  return out;
}
