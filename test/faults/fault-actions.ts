/**
 * What each fault does to the running system, and what "recovered" means for
 * it. The suite is the supervisor: a killed service is started again at once,
 * as systemd or Kubernetes would; a killed Redis node, Sentinel or broker
 * comes back after the system has shown it copes without it.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { LocalStack, ServiceProcess, StackEndpoints } from '@ringtail/stack';
import type { FaultKind } from './fault-schedule.ts';

/** What an action reports: when the fault ended, and what must follow once the system has recovered. */
export interface FaultOutcome {
  /** performance.now() at the fault's end: recovery is measured from here. */
  readonly endedAt: number;
  /** Which process or node it struck. */
  readonly target: string;
  /** Restores redundancy (a killed Redis node, a Sentinel) after the recovery was measured. */
  readonly restore?: () => Promise<void>;
}

export interface FaultTimings {
  readonly sessionTimeoutMs: number;
  readonly leaseTtlMs: number;
  readonly sentinelDownAfterMs: number;
  /** How long a Redis replica or the broker stays down before it is started again. */
  readonly downMs: number;
}

/** The recovery bound of each kind: 10 s, plus the timeout a kind must wait out (session, lease, Sentinel). */
export function recoveryBoundMs(kind: FaultKind, t: FaultTimings): number {
  const base = 10_000;
  switch (kind) {
    case 'kill-ingest':
    case 'pause-ingest':
    case 'kill-shard':
    case 'pause-shard':
      return t.sessionTimeoutMs + base;
    case 'kill-alerter':
    case 'pause-alerter':
      return t.leaseTtlMs + base;
    case 'kill-redis-primary':
      return t.sentinelDownAfterMs + base;
    default:
      return base;
  }
}

/** Resident set size of a process in MB, from /proc (undefined once it is gone). */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The port of the Redis primary as the Sentinels see it (the first that answers). */
export async function primaryPort(endpoints: StackEndpoints): Promise<number> {
  for (const s of endpoints.sentinels) {
    const client = new Redis({ host: s.host, port: s.port, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, lazyConnect: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', endpoints.sentinelMasterName)) as string[] | null;
      if (addr) return Number(addr[1]);
    } catch {
      // try the next Sentinel
    } finally {
      client.disconnect();
    }
  }
  throw new Error('no Sentinel named a primary');
}

/** Waits until the Sentinels name a primary other than `oldPort` (at most a minute). */
async function waitForNewPrimary(endpoints: StackEndpoints, oldPort: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await primaryPort(endpoints).catch(() => oldPort)) !== oldPort) return;
    await sleep(100);
  }
  throw new Error(`the Sentinels did not fail over from ${oldPort} within a minute`);
}

export interface Cluster {
  readonly stack: LocalStack;
  readonly endpoints: StackEndpoints;
  readonly timings: FaultTimings;
  readonly redisPorts: readonly [number, number];
  ingest(): readonly ServiceProcess[];
  shards(): readonly ServiceProcess[];
  alerters(): readonly ServiceProcess[];
  addShard(): Promise<ServiceProcess>;
  isLeader(p: ServiceProcess): Promise<boolean>;
  /** Queues a burst of malformed input on the load loop; resolves once Kafka acknowledged it. */
  sendMalformedBurst(): Promise<void>;
  now(): number;
}

const pickOf = <T>(items: readonly T[], pick: number): T => {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.min(items.length - 1, Math.floor(pick * items.length))]!;
};

const running = (ps: readonly ServiceProcess[]) => ps.filter((p) => p.isRunning());

/** kill -9, and wait until the process is gone (a restart must not find it still alive). */
async function killPid(pid: number | undefined, what: string): Promise<void> {
  if (pid === undefined) throw new Error(`${what} is not running`);
  process.kill(pid, 'SIGKILL');
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && alive(); i++) await sleep(50);
}

/** Strikes one fault of `kind`; `pick` chooses the target among candidates. */
export async function strike(kind: FaultKind, pick: number, c: Cluster): Promise<FaultOutcome> {
  const restartAfterKill = async (p: ServiceProcess): Promise<FaultOutcome> => {
    await p.kill();
    const endedAt = c.now();
    await p.start(120_000);
    return { endedAt, target: p.name };
  };
  const pauseFor = async (p: ServiceProcess, ms: number): Promise<FaultOutcome> => {
    p.pause();
    await sleep(ms);
    p.resume();
    return { endedAt: c.now(), target: p.name };
  };
  const leader = async () => {
    const live = running(c.alerters());
    for (const p of live) if (await c.isLeader(p)) return p;
    return pickOf(live, pick);
  };
  switch (kind) {
    case 'kill-ingest':
      return restartAfterKill(pickOf(running(c.ingest()), pick));
    case 'kill-shard':
      return restartAfterKill(pickOf(running(c.shards()), pick));
    case 'kill-alerter':
      return restartAfterKill(await leader());
    case 'pause-ingest':
      return pauseFor(pickOf(running(c.ingest()), pick), c.timings.sessionTimeoutMs + 2000);
    case 'pause-shard':
      return pauseFor(pickOf(running(c.shards()), pick), c.timings.sessionTimeoutMs + 2000);
    case 'pause-alerter':
      return pauseFor(await leader(), c.timings.leaseTtlMs + 2000);
    case 'kill-redis-primary': {
      const port = await primaryPort(c.endpoints);
      await killPid(c.stack.redisPidByPort(port), `Redis primary on ${port}`);
      const endedAt = c.now();
      // The promoted replica has no replica of its own, so flushes cannot be confirmed
      // (WAIT) until the old primary is back: an operator restarts it, and so does this,
      // but only once the Sentinels have failed over. Restarted earlier, it would come
      // back as primary with the writes of its last AOF second missing, and the replica
      // would resynchronise from it and lose them too.
      await waitForNewPrimary(c.endpoints, port);
      await sleep(c.timings.downMs);
      await c.stack.up();
      return { endedAt, target: `redis:${port}` };
    }
    case 'kill-redis-replica': {
      const primary = await primaryPort(c.endpoints);
      const port = c.redisPorts.find((p) => p !== primary)!;
      await killPid(c.stack.redisPidByPort(port), `Redis replica on ${port}`);
      await sleep(c.timings.downMs);
      await c.stack.up();
      return { endedAt: c.now(), target: `redis:${port}` };
    }
    case 'kill-sentinel': {
      const sentinels = c.stack.status().filter((s) => s.name.startsWith('sentinel') && s.pid !== undefined);
      const s = pickOf(sentinels, pick);
      await killPid(s.pid, s.name);
      return { endedAt: c.now(), target: s.name, restore: () => c.stack.up().then(() => undefined) };
    }
    case 'kill-broker': {
      const broker = c.stack.status().find((s) => s.name.startsWith('kafka'));
      await killPid(broker?.pid, 'the Kafka broker');
      await sleep(c.timings.downMs);
      await c.stack.up();
      return { endedAt: c.now(), target: 'kafka' };
    }
    case 'shard-join': {
      const p = await c.addShard();
      return { endedAt: c.now(), target: p.name };
    }
    case 'shard-leave': {
      const live = running(c.shards());
      if (live.length < 2) {
        // Never leave the slots without an owner: one joins first, then the older one leaves.
        await c.addShard();
      }
      const p = pickOf(running(c.shards()), pick);
      await p.stop();
      return { endedAt: c.now(), target: p.name };
    }
    case 'malformed-burst':
      await c.sendMalformedBurst();
      return { endedAt: c.now(), target: 'metrics.raw' };
  }
}
