import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { eventually, nodeSecurityOptions, type RedisSecurity } from '@ringtail/runtime';
import { StackError } from './errors.ts';
import { REDIS_SERVER, requireTools } from './prerequisites.ts';
import { describeMismatch, ProcessFile, type ProcessFileState, type ProcessMismatch } from './process-files.ts';
import { canConnect, spawnDetached } from './processes.ts';
import { STACK_USERS, stackClientSecurity, type StackCredentials } from './stack-credentials.ts';
import { endpointsOf, portVariablesOf, stackCredentialsOf, type StackTopology } from './topology.ts';

const READY_TIMEOUT_MS = 60_000;
const SENTINEL_DOWN_AFTER_MS = 5000;
const STOP_GRACE_MS = 10_000;

interface RedisInstance {
  readonly name: string;
  readonly port: number;
  readonly sentinel: boolean;
  /** How far this port is from its base port variable (the replica is the primary's +1). */
  readonly offset: number;
}

/**
 * Redis primary + replica + three Sentinels from the system's `redis-server`.
 *
 * Config files are written once and then left to Redis: Sentinel rewrites its
 * own file and the data nodes' files on failover, so after a restart every node
 * comes back in the role the Sentinels last gave it.
 */
export class RedisSentinelSet {
  private readonly dir: string;
  private readonly instances: readonly RedisInstance[];
  /** Null for the open stack. */
  private readonly credentials: StackCredentials | null;

  constructor(private readonly t: StackTopology) {
    this.credentials = t.secure ? stackCredentialsOf(t) : null;
    this.dir = join(t.stackDir, 'redis');
    this.instances = [
      { name: 'redis-a', port: t.redisPrimaryPort, sentinel: false, offset: 0 },
      { name: 'redis-b', port: t.redisReplicaPort, sentinel: false, offset: t.redisReplicaPort - t.redisPrimaryPort },
      ...t.sentinelPorts.map((port, i) => ({ name: `sentinel-${i + 1}`, port, sentinel: true, offset: port - t.sentinelPorts[0] })),
    ];
  }

  /** Each instance (data nodes first, then the Sentinels) and what its pid file names right now. */
  states(): { readonly name: string; readonly port: number; readonly state: ProcessFileState }[] {
    return this.instances.map((inst) => ({ name: inst.name, port: inst.port, state: this.pidFile(inst).state() }));
  }

  /** Starts whichever instances are not running; resolves when Sentinel can fail over. */
  async up(): Promise<void> {
    const states = this.instances.map((inst) => ({ inst, state: this.pidFile(inst).state() }));
    // Starting over a mismatch would overwrite the only record of the process it names.
    const mismatches = states.flatMap(({ inst, state }) => (state.kind === 'mismatch' ? [{ inst, mismatch: state }] : []));
    if (mismatches.length > 0) throw this.mismatchError(mismatches, 'nothing was started');
    const toStart = states.filter(({ state }) => state.kind === 'stale').map(({ inst }) => inst);
    if (toStart.length > 0) requireTools([REDIS_SERVER]);
    for (const inst of toStart) {
      if (await canConnect('127.0.0.1', inst.port)) {
        throw new StackError('STACK_START_FAILED', `port ${inst.port} (${inst.name}) is taken by a process this stack did not start; stop it or set ${this.portVariable(inst)}`);
      }
    }
    if (toStart.length > 0) this.credentials?.ensure();
    for (const inst of toStart) {
      const dir = join(this.dir, inst.name);
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, inst.sentinel ? 'sentinel.conf' : 'redis.conf');
      // Owner only: a secured node's file holds its users' passwords.
      if (!existsSync(conf)) writeFileSync(conf, this.configFor(inst, dir), { mode: 0o600 });
      const args = inst.sentinel ? [conf, '--sentinel'] : [conf];
      const pid = spawnDetached('redis-server', args, join(dir, 'server.log'), dir);
      this.pidFile(inst).record(pid);
    }
    await eventually('the Redis Sentinel set', READY_TIMEOUT_MS, () => this.isReady(), 200).catch((cause: unknown) => {
      throw new StackError('STACK_NOT_READY', `Redis Sentinel set not ready within ${READY_TIMEOUT_MS} ms; logs are under ${this.dir}`, { cause });
    });
  }

  /**
   * Stops our instances and removes their pid files (dead processes' files too).
   * A pid file naming a `redis-server` on another port is kept, and after stopping
   * the rest this throws STACK_PROCESS_MISMATCH saying which port variables stop it.
   */
  async down(): Promise<void> {
    // Sentinels first, so stopping the data nodes does not trigger a failover.
    const order = [...this.instances].sort((a, b) => Number(b.sentinel) - Number(a.sentinel));
    const mismatches: { inst: RedisInstance; mismatch: ProcessMismatch }[] = [];
    for (const inst of order) {
      const mismatch = await this.pidFile(inst).stop(STOP_GRACE_MS);
      if (mismatch) mismatches.push({ inst, mismatch });
    }
    if (mismatches.length > 0) throw this.mismatchError(mismatches, 'the rest was stopped');
  }

  /**
   * Ready when every Sentinel names the same primary, that primary has a connected
   * replica, and CKQUORUM reports all three Sentinels usable (they found each other).
   */
  async isReady(): Promise<boolean> {
    const security = this.security();
    const clients = this.t.sentinelPorts.map((port) => probe(port, nodeSecurityOptions(security, 'sentinel')));
    try {
      const masters = await Promise.all(
        clients.map((c) => c.call('SENTINEL', 'get-master-addr-by-name', this.t.sentinelMasterName) as Promise<string[] | null>),
      );
      const first = masters[0];
      if (!first || masters.some((m) => !m || m[1] !== first[1])) return false;
      const quorum = await Promise.all(
        clients.map((c) => c.call('SENTINEL', 'ckquorum', this.t.sentinelMasterName) as Promise<string>),
      );
      if (!quorum.every((q) => q.includes('3 usable'))) return false;
      const primary = probe(Number(first[1]), nodeSecurityOptions(security, 'data'));
      try {
        const info = await primary.info('replication');
        return /role:master/.test(info) && /connected_slaves:[1-9]/.test(info) && /slave0:.*state=online/.test(info);
      } finally {
        primary.disconnect();
      }
    } catch {
      return false;
    } finally {
      for (const c of clients) c.disconnect();
    }
  }

  private pidFile(inst: RedisInstance): ProcessFile {
    // Redis replaces its command line with "redis-server 127.0.0.1:<port>".
    return new ProcessFile(join(this.dir, inst.name, 'server.pid'), REDIS_SERVER.command, `127.0.0.1:${inst.port}`);
  }

  private portVariable(inst: RedisInstance): string {
    const v = portVariablesOf(this.t);
    return inst.sentinel ? v.sentinel : v.redis;
  }

  /**
   * Names each kept pid file and the settings that reach its process: the port it
   * serves, less the instance's offset, is the base port it was started with.
   */
  private mismatchError(mismatches: readonly { inst: RedisInstance; mismatch: ProcessMismatch }[], others: string): StackError {
    const settings = new Set<string>();
    for (const { inst, mismatch } of mismatches) {
      const served = /127\.0\.0\.1:(\d+)/.exec(mismatch.cmdline)?.[1];
      settings.add(served === undefined ? `${this.portVariable(inst)}=<its base port>` : `${this.portVariable(inst)}=${Number(served) - inst.offset}`);
    }
    const command = `${[...settings].join(' ')} npx ringtail stack down${this.t.secure ? ' --secure' : ''}`;
    return new StackError('STACK_PROCESS_MISMATCH', [
      ...mismatches.map(({ inst, mismatch }) => describeMismatch(inst.name, mismatch)),
      `Kept these pid files and their processes, which serve other ports than the settings name; ${others}. ` +
        `To stop them: \`${command}\`. If one is not this stack's process, stop it yourself and remove its pid file.`,
    ].join('\n'));
  }

  /** What the probes present: the stack's client settings, read once the credentials exist. */
  private security(): RedisSecurity | undefined {
    return this.credentials ? stackClientSecurity(endpointsOf(this.t).clientEnv).redis : undefined;
  }

  /**
   * Open: a plaintext port. Secured: TLS only (`port 0`), to clients and between
   * nodes (replication, Sentinel to node, Sentinel to Sentinel: `tls-replication`).
   * Client certificates are accepted, not required: clients log in with ACL users.
   */
  private listenConfig(inst: RedisInstance): string[] {
    const c = this.credentials;
    if (!c) return [`port ${inst.port}`];
    return [
      'port 0',
      `tls-port ${inst.port}`,
      `tls-cert-file ${c.serverCertFile}`,
      `tls-key-file ${c.serverKeyFile}`,
      `tls-ca-cert-file ${c.caFile}`,
      'tls-auth-clients optional',
      'tls-replication yes',
    ];
  }

  /**
   * Secured: the `default` user is off, so every connection logs in. Data nodes
   * have the Ringtail user (every key, channel and command: Ringtail runs Lua,
   * WAIT and the Sentinels' pub/sub hello channel); Sentinels have their own.
   */
  private accessConfig(inst: RedisInstance): string[] {
    const c = this.credentials;
    if (!c) return [];
    const [user, password] = inst.sentinel ? [STACK_USERS.sentinel, c.password('sentinel')] : [STACK_USERS.redis, c.password('redis')];
    return ['user default off', `user ${user} on >${password} ~* &* +@all`];
  }

  /** How a secured Sentinel logs in to the data nodes and to the other Sentinels. */
  private sentinelAuthConfig(): string[] {
    const c = this.credentials;
    if (!c) return [];
    const m = this.t.sentinelMasterName;
    return [
      `sentinel auth-user ${m} ${STACK_USERS.redis}`,
      `sentinel auth-pass ${m} ${c.password('redis')}`,
      `sentinel sentinel-user ${STACK_USERS.sentinel}`,
      `sentinel sentinel-pass ${c.password('sentinel')}`,
    ];
  }

  private configFor(inst: RedisInstance, dir: string): string {
    const common = ['bind 127.0.0.1', ...this.listenConfig(inst), `dir ${dir}`, 'daemonize no', 'protected-mode no', ...this.accessConfig(inst)];
    if (inst.sentinel) {
      const m = this.t.sentinelMasterName;
      return [
        ...common,
        `sentinel monitor ${m} 127.0.0.1 ${this.t.redisPrimaryPort} 2`,
        // A primary silent this long is down. Redis answers nothing while a Lua script
        // runs, and a shard flush script can take a second on a loaded 2-core machine;
        // 1 s here caused failovers of a healthy primary under load.
        `sentinel down-after-milliseconds ${m} ${SENTINEL_DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${m} 10000`,
        `sentinel parallel-syncs ${m} 1`,
        ...this.sentinelAuthConfig(),
        '',
      ].join('\n');
    }
    const lines = [
      ...common,
      'save ""',
      // Every write is in the AOF within a second, so a restarted node keeps its data.
      'appendonly yes',
      'appendfsync everysec',
      'maxmemory-policy noeviction',
      // A returning replica is resynchronised at once, not after Redis' default 5 s wait for
      // others to share the transfer: until it is online, flushes cannot be confirmed.
      'repl-diskless-sync-delay 0',
    ];
    if (inst.port !== this.t.redisPrimaryPort) lines.push(`replicaof 127.0.0.1 ${this.t.redisPrimaryPort}`);
    if (this.credentials) lines.push(`masteruser ${STACK_USERS.redis}`, `masterauth ${this.credentials.password('redis')}`);
    return `${lines.join('\n')}\n`;
  }
}

function probe(port: number, security: RedisOptions): Redis {
  const client = new Redis({
    ...security,
    host: '127.0.0.1',
    port,
    lazyConnect: false,
    connectTimeout: 500,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  // A probe that cannot connect just answers "not ready"; the failed command says so.
  client.on('error', () => undefined);
  return client;
}
