import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from '@ringtail/runtime';
import { StackError } from './errors.ts';
import { KafkaBroker } from './kafka-broker.ts';
import { canConnect } from './processes.ts';
import { RedisSentinelSet } from './redis-sentinel-set.ts';
import { endpointsOf, type StackEndpoints, type StackTopology } from './topology.ts';

const COMPOSE_FILE = fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url));
/** The compose services `stack up` starts; the Ringtail services are the user's to start. */
export const INFRA_SERVICES = ['kafka', 'redis-a', 'redis-b', 'sentinel-1', 'sentinel-2', 'sentinel-3'] as const;
const READY_TIMEOUT_MS = 180_000;
const COMPOSE_TIMEOUT_MS = 30 * 60_000;

/** True when a Docker engine answers within a few seconds (the client alone is not enough). */
export function dockerEngineReachable(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

/**
 * True when the servers at `t`'s ports serve clients, whoever started them: Kafka answers
 * metadata and the Sentinels agree on a primary that has an online replica. The local
 * stack's own readiness probes, run from the host, so containers are held to the same bar.
 */
export async function stackServes(t: StackTopology): Promise<boolean> {
  return (await new KafkaBroker(t).isReady()) && (await new RedisSentinelSet(t).isReady());
}

/** `docker compose` (v2 plugin) where installed, else the standalone `docker-compose` (v1). */
function composeCommand(): [string, ...string[]] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return ['docker-compose'];
  throw new StackError('STACK_PREREQUISITE_MISSING', 'neither `docker compose` nor `docker-compose` is installed (Debian: apt-get install docker-compose)');
}

/**
 * The stack as containers from docker-compose.yml (Kafka, Redis primary + replica, three
 * Sentinels), on the same ports as the local stack. The compose project is named after
 * the Kafka port, so checkouts on different ports run side by side on one engine.
 */
export class DockerStack {
  constructor(private readonly t: StackTopology) {}

  get project(): string {
    return `ringtail-${this.t.kafkaPort}`;
  }

  /** Builds the images if missing, starts the containers, resolves when the stack serves. */
  async up(): Promise<StackEndpoints> {
    if (this.t.secure) {
      throw new StackError('STACK_MODE_UNAVAILABLE', 'the secured stack runs as local processes only: set RINGTAIL_STACK_MODE=local with RINGTAIL_STACK_SECURE=true (or `ringtail stack up --secure`)');
    }
    this.requireEngine();
    if (this.runningContainers() === 0) await this.refuseTakenPorts();
    this.compose(['up', '-d', ...INFRA_SERVICES]);
    await eventually(`the containers of ${this.project}`, READY_TIMEOUT_MS, () => stackServes(this.t), 500).catch((cause: unknown) => {
      throw new StackError('STACK_NOT_READY', `containers of ${this.project} not ready within ${READY_TIMEOUT_MS} ms; see \`docker-compose -p ${this.project} logs\``, { cause });
    });
    return endpointsOf(this.t);
  }

  /** Builds the images of the given compose services (all infrastructure images by default). */
  build(services: readonly string[] = INFRA_SERVICES): void {
    this.requireEngine();
    this.compose(['build', '-q', ...services]);
  }

  /** Prints the project's containers and their health (`compose ps`); false when none runs. */
  status(): boolean {
    this.requireEngine();
    this.compose(['ps']);
    return this.runningContainers() > 0;
  }

  /** Stops and removes the containers and their volumes. */
  async down(): Promise<void> {
    this.requireEngine();
    this.compose(['down', '-v', '--remove-orphans']);
  }

  private requireEngine(): void {
    if (!dockerEngineReachable()) {
      throw new StackError('STACK_MODE_UNAVAILABLE', 'RINGTAIL_STACK_MODE=docker but no Docker engine answers `docker info`; use local or external');
    }
  }

  private runningContainers(): number {
    const [cmd, ...pre] = composeCommand();
    const r = spawnSync(cmd, [...pre, '-f', COMPOSE_FILE, '-p', this.project, 'ps', '-q'], { encoding: 'utf8', env: this.env(), timeout: 60_000 });
    return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '').length : 0;
  }

  /** Host-network containers cannot bind a taken port; say so instead of timing out. */
  private async refuseTakenPorts(): Promise<void> {
    const t = this.t;
    for (const port of [t.kafkaPort, t.kafkaControllerPort, t.redisPrimaryPort, t.redisReplicaPort, ...t.sentinelPorts]) {
      if (await canConnect('127.0.0.1', port)) {
        throw new StackError('STACK_START_FAILED', `port ${port} is taken (a local stack? \`RINGTAIL_STACK_MODE=local ringtail stack down\`); stop it or move the RINGTAIL_*_PORT variables`);
      }
    }
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      RINGTAIL_KAFKA_PORT: String(this.t.kafkaPort),
      RINGTAIL_KAFKA_HEAP_MB: String(this.t.kafkaHeapMb),
      RINGTAIL_REDIS_PORT: String(this.t.redisPrimaryPort),
      RINGTAIL_SENTINEL_PORT: String(this.t.sentinelPorts[0]),
      RINGTAIL_SENTINEL_MASTER: this.t.sentinelMasterName,
    };
  }

  private compose(args: readonly string[]): void {
    const [cmd, ...pre] = composeCommand();
    const r = spawnSync(cmd, [...pre, '-f', COMPOSE_FILE, '-p', this.project, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: this.env(),
      timeout: COMPOSE_TIMEOUT_MS,
    });
    if (r.status !== 0) throw new StackError('STACK_START_FAILED', `${cmd} ${[...pre, ...args].join(' ')} failed (exit ${r.status}); see the output above`);
  }
}
