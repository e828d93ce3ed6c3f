import { Redis } from 'ioredis';

export interface SentinelTarget {
  readonly sentinels: readonly { host: string; port: number }[];
  readonly masterName: string;
}

/**
 * An ioredis client in Sentinel mode that follows failovers quickly.
 *
 * `failoverDetector` subscribes to Sentinel's switch-master so the client moves
 * as soon as a replica is promoted; command and socket timeouts keep a hung
 * primary from stalling callers for minutes (ioredis waits forever by default).
 */
export function createSentinelClient(target: SentinelTarget, name: string, commandTimeoutMs = 5000): Redis {
  return new Redis({
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.masterName,
    role: 'master',
    connectionName: name,
    failoverDetector: true,
    enableAutoPipelining: false,
    connectTimeout: 2000,
    commandTimeout: commandTimeoutMs,
    socketTimeout: Math.max(commandTimeoutMs, 5000),
    // Fail commands fast while no primary is reachable; callers retry with their own policy.
    maxRetriesPerRequest: 2,
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1000),
    retryStrategy: (times) => Math.min(times * 50, 500),
    // A failed-over primary answers READONLY once demoted: reconnect to find the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });
}
