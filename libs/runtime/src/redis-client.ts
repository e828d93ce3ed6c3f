import { Redis } from 'ioredis';
import type { HostPort } from './host-ports.ts';

export interface SentinelTarget {
  readonly sentinels: readonly { host: string; port: number }[];
  readonly masterName: string;
}

/**
 * An ioredis client in Sentinel mode that follows failovers.
 *
 * A killed or demoted primary closes its connections, and ioredis then asks the
 * Sentinels for the new one. A hung primary keeps them open: `socketTimeout`
 * drops a socket that answers nothing for that long while commands wait, so the
 * client reconnects instead of stalling for minutes, and `commandTimeout` bounds
 * each call. ioredis' `failoverDetector` is left off on purpose: with ioredis
 * 5.11 a +switch-master arriving while the client reconnects can leave it in the
 * `end` state for good (seen in test/integration/stack/sentinel-failover.test.ts,
 * where every command then failed with "Connection is closed").
 */
export function createSentinelClient(target: SentinelTarget, name: string, commandTimeoutMs = 5000): Redis {
  return new Redis({
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.masterName,
    role: 'master',
    connectionName: name,
    failoverDetector: false,
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

/**
 * The primary `sentinel` names for `masterName` (SENTINEL get-master-addr-by-name),
 * asked on a short-lived connection; null when that Sentinel knows no such master.
 * Throws when the Sentinel cannot be reached.
 */
export async function sentinelPrimary(sentinel: HostPort, masterName: string): Promise<HostPort | null> {
  const probe = new Redis({ host: sentinel.host, port: sentinel.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const addr = (await probe.call('SENTINEL', 'get-master-addr-by-name', masterName)) as [string, string] | null;
    return addr ? { host: addr[0], port: Number(addr[1]) } : null;
  } finally {
    probe.disconnect();
  }
}
