import { formatHostPort } from '@ringtail/runtime';
import type { StackEndpoints } from '@ringtail/stack';

/** Environment a Ringtail service needs to reach `stack` in `namespace` (a secured stack's users, password files and CA included). */
export function stackEnv(e: StackEndpoints, namespace: string): Record<string, string> {
  return {
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    REDIS_SENTINELS: e.sentinels.map(formatHostPort).join(','),
    REDIS_SENTINEL_MASTER: e.sentinelMasterName,
    RINGTAIL_NAMESPACE: namespace,
    ...e.clientEnv,
  };
}
