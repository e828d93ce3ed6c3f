import { canonicalSeriesKey } from '../src/index.ts';

/** Smallest and largest canonical key length the bench uses, in bytes. */
export const MIN_KEY_BYTES = 80;
export const MAX_KEY_BYTES = 110;

const METRICS = ['http_requests_total', 'node_cpu_seconds_total', 'process_resident_memory_bytes', 'kafka_consumer_lag'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '404', '500', '503'];

/**
 * `count` distinct canonical series keys of MIN_KEY_BYTES..MAX_KEY_BYTES ASCII
 * bytes, deterministic for a given `seed` (xorshift32, so runs compare).
 */
export function benchSeriesKeys(count: number, seed = 0x9e3779b9): string[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>>= 0);
  };
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const labels: Record<string, string> = {
      instance: `10.${next() & 255}.${next() & 255}.${next() & 255}:9100`,
      job: `svc-${(i % 997).toString(36)}`,
      method: METHODS[next() & 3] as string,
      status: STATUSES[next() % STATUSES.length] as string,
    };
    const base = canonicalSeriesKey(METRICS[i & 3] as string, { ...labels, pod: '' });
    // The pod label fills the key up to a uniformly chosen target length; its
    // leading index keeps every key distinct.
    const target = MIN_KEY_BYTES + (next() % (MAX_KEY_BYTES - MIN_KEY_BYTES + 1));
    const id = i.toString(36);
    const pad = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, Math.max(0, target - base.length - id.length - 1));
    keys.push(canonicalSeriesKey(METRICS[i & 3] as string, { ...labels, pod: `${id}-${pad}` }));
  }
  return keys;
}
