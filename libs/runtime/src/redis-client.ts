import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { HostPort } from './host-ports.ts';
import { ConnectionRefusedError } from './security-errors.ts';
import type { RedisSecurity, TlsMaterial } from './security-env.ts';
import { speaksTls } from './security-probe.ts';

export interface SentinelTarget {
  readonly sentinels: readonly { host: string; port: number }[];
  readonly masterName: string;
  /** Credentials and TLS (redisSecurityFrom); absent means the open loopback stack. */
  readonly security?: RedisSecurity;
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
    ...sentinelSecurityOptions(target.security),
  });
}

/** ioredis options for a Sentinel-mode client: data-node and Sentinel credentials, TLS to both. */
export function sentinelSecurityOptions(security: RedisSecurity | undefined): RedisOptions {
  if (!security) return {};
  const tls = tlsOptions(security.tls);
  return {
    ...(security.data ? { username: security.data.username ?? undefined, password: security.data.password.reveal() } : {}),
    ...(security.sentinel ? { sentinelUsername: security.sentinel.username ?? undefined, sentinelPassword: security.sentinel.password.reveal() } : {}),
    ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
  };
}

/** ioredis options for a direct connection to one node: a data node (`role: 'data'`) or a Sentinel. */
export function nodeSecurityOptions(security: RedisSecurity | undefined, role: 'data' | 'sentinel'): RedisOptions {
  if (!security) return {};
  const creds = role === 'data' ? security.data : security.sentinel;
  const tls = tlsOptions(security.tls);
  return {
    ...(creds ? { username: creds.username ?? undefined, password: creds.password.reveal() } : {}),
    ...(tls ? { tls } : {}),
  };
}

function tlsOptions(tls: TlsMaterial | null): ConnectionOptions | undefined {
  if (!tls) return undefined;
  return {
    ...(tls.ca !== null ? { ca: tls.ca } : {}),
    ...(tls.cert !== null ? { cert: tls.cert } : {}),
    ...(tls.key !== null ? { key: tls.key.reveal() } : {}),
  };
}

/**
 * The refusal `err` stands for, or null when it is not one (a node down, a timeout).
 * Redis reports a refused login with the error codes WRONGPASS and NOAUTH at the
 * start of its reply; ioredis wraps a Sentinel's in "failed to connect to sentinel …"
 * or "All sentinels are unreachable … Last error: …", which is how the two are told apart.
 */
export function redisRefusal(err: Error & { code?: string }): ConnectionRefusedError | null {
  const text = err.message;
  const viaSentinel = /sentinel/i.test(text);
  const server = viaSentinel ? 'sentinel' : 'redis';
  if (/\b(WRONGPASS|NOAUTH)\b/.test(text)) {
    const settings = viaSentinel
      ? ['REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_PASSWORD_FILE']
      : ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE'];
    return new ConnectionRefusedError(server, settings, `${viaSentinel ? 'a Redis Sentinel' : 'Redis'} refused the credentials: ${firstLine(text)}`);
  }
  if (/\bNOPERM\b/.test(text)) {
    return new ConnectionRefusedError(server, [viaSentinel ? 'REDIS_SENTINEL_USERNAME' : 'REDIS_USERNAME'], `the Redis user lacks a permission Ringtail needs: ${firstLine(text)}`);
  }
  if (TLS_FAILURE.test(text) || TLS_FAILURE.test(err.code ?? '')) {
    return new ConnectionRefusedError(server, ['REDIS_TLS', 'REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE'], `TLS to ${viaSentinel ? 'a Redis Sentinel' : 'Redis'} failed: ${firstLine(text)}`);
  }
  return null;
}

// Node's certificate-verification codes and OpenSSL's handshake failures (a TLS client on a plaintext port).
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|EPROTO|wrong version number|ssl3_|tlsv1 alert|handshake/i;

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}

/**
 * Waits until `redis` is ready and rejects with ConnectionRefusedError once a
 * node or a Sentinel refuses its credentials or TLS, so a misconfigured process
 * stops and says which setting to fix instead of retrying forever. A client
 * without TLS that sees its connections dropped asks the Sentinels once whether
 * they speak TLS (a TLS port drops plaintext unanswered) and rejects naming
 * REDIS_TLS if one does. A Redis that is merely unreachable is not an error
 * here: after `timeoutMs` this resolves and the client keeps reconnecting as
 * usual (the process' /readyz says so). On a refusal the client is disconnected.
 */
export async function checkRedisAccess(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let finished = false;
    let probe: Promise<unknown> | null = null;
    const done = () => {
      finished = true;
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      redis.off('sentinelError', onError);
    };
    const onReady = () => {
      if (finished) return;
      done();
      resolve();
    };
    const refuse = (refusal: ConnectionRefusedError) => {
      if (finished) return;
      done();
      redis.disconnect();
      reject(refusal);
    };
    const onError = (err: Error) => {
      const refusal = redisRefusal(err);
      if (refusal) return refuse(refusal);
      probe ??= sentinelTlsMismatch(redis).then((mismatch) => mismatch && refuse(mismatch));
    };
    // A probe under way when the time is up still gets its answer (it takes at most PROBE_TIMEOUT_MS per Sentinel).
    const timer = setTimeout(() => (probe ? void probe.then(onReady) : onReady()), timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
    redis.on('sentinelError', onError);
  });
}

/**
 * A ConnectionRefusedError naming REDIS_TLS when `redis` connects to its
 * Sentinels without TLS and one of them completes a TLS handshake; null when
 * the client uses TLS, or no Sentinel speaks it (down, or plaintext as configured).
 */
async function sentinelTlsMismatch(redis: Redis): Promise<ConnectionRefusedError | null> {
  const { sentinels, enableTLSForSentinelMode, tls } = redis.options;
  if (enableTLSForSentinelMode || tls || !sentinels) return null;
  for (const s of sentinels) {
    const at = { host: s.host ?? '127.0.0.1', port: s.port ?? 26379 };
    if (await speaksTls(at)) {
      return new ConnectionRefusedError('sentinel', ['REDIS_TLS', 'REDIS_TLS_CA_FILE'], `the Redis Sentinel at ${at.host}:${at.port} requires TLS, which this client is not configured for`);
    }
  }
  return null;
}

/**
 * The primary `sentinel` names for `masterName` (SENTINEL get-master-addr-by-name),
 * asked on a short-lived connection; null when that Sentinel knows no such master.
 * Throws when the Sentinel cannot be reached.
 */
export async function sentinelPrimary(sentinel: HostPort, masterName: string, security?: RedisSecurity): Promise<HostPort | null> {
  const probe = new Redis({
    host: sentinel.host,
    port: sentinel.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...nodeSecurityOptions(security, 'sentinel'),
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const addr = (await probe.call('SENTINEL', 'get-master-addr-by-name', masterName)) as [string, string] | null;
    return addr ? { host: addr[0], port: Number(addr[1]) } : null;
  } finally {
    probe.disconnect();
  }
}
