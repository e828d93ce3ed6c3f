import type { Redis } from 'ioredis';
import type { RedisKeys } from '@ringtail/model';
import { watermarkField } from '../../services/shard/src/watermarks.ts';

/**
 * The highest raw offset of `rawPartition` that slot `slot` holds in every
 * resolution: the lower of the finest's watermark and the coarse ones' (field
 * `c<raw partition>`, which lags by up to COARSE_FLUSH_INTERVAL_MS; absent, it
 * equals the finest's). -1 before any.
 */
export async function rawOffsetInEveryResolution(redis: Redis, keys: RedisKeys, slot: number, rawPartition: number): Promise<number> {
  const [fine, coarse] = await redis.hmget(keys.watermarks(slot), watermarkField({ rawPartition }), watermarkField({ rawPartition, coarse: true }));
  if (fine === null) return -1;
  return Math.min(Number(fine), Number(coarse ?? fine));
}
