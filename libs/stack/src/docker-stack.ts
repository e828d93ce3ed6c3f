import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StackError } from './errors.ts';
import { endpointsOf, type StackEndpoints, type StackTopology } from './topology.ts';

const COMPOSE_FILE = fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url));
const INFRA_SERVICES = ['kafka', 'redis-a', 'redis-b', 'sentinel-1', 'sentinel-2', 'sentinel-3'];

/** True when a Docker engine answers within a few seconds (the client alone is not enough). */
export function dockerEngineReachable(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

/** The same topology as the local stack, as containers from docker-compose.yml, on the same ports. */
export class DockerStack {
  constructor(private readonly t: StackTopology) {}

  async up(): Promise<StackEndpoints> {
    this.compose(['up', '-d', '--wait', ...INFRA_SERVICES]);
    return endpointsOf(this.t);
  }

  async down(): Promise<void> {
    this.compose(['down']);
  }

  private compose(args: readonly string[]): void {
    if (!dockerEngineReachable()) {
      throw new StackError('STACK_MODE_UNAVAILABLE', 'RINGTAIL_STACK_MODE=docker but no Docker engine answers `docker info`; use local or external');
    }
    const r = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, ...args], { stdio: 'inherit', timeout: 10 * 60_000 });
    if (r.status !== 0) throw new StackError('STACK_START_FAILED', `docker compose ${args[0]} failed (exit ${r.status})`);
  }
}
