import { spawnSync } from 'node:child_process';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { eventually } from '@ringtail/runtime';
import { endpointsOf, stackServes, type StackEndpoints, type StackTopology } from '@ringtail/stack';

const KAFKA_IMAGE = 'ringtail/kafka:3.9.1';
const REDIS_IMAGE = 'ringtail/redis:7';
const STARTUP_TIMEOUT_MS = 180_000;

/**
 * Kafka, Redis primary + replica and three Sentinels as testcontainers on the host network
 * (the engine here has no bridge), from the repository's images, at `t`'s ports.
 * Containers are removed by `stop()`: the reaper is off where its image cannot be pulled.
 */
export class ContainerStack {
  readonly containers = new Map<string, StartedTestContainer>();

  constructor(readonly topology: StackTopology) {}

  get endpoints(): StackEndpoints {
    return endpointsOf(this.topology);
  }

  async start(): Promise<void> {
    const t = this.topology;
    const env = {
      RINGTAIL_KAFKA_PORT: String(t.kafkaPort),
      RINGTAIL_KAFKA_HEAP_MB: String(t.kafkaHeapMb),
      RINGTAIL_REDIS_PORT: String(t.redisPrimaryPort),
      RINGTAIL_SENTINEL_PORT: String(t.sentinelPorts[0]),
      RINGTAIL_SENTINEL_MASTER: t.sentinelMasterName,
    };
    const start = async (name: string, image: string, command: string[]) => {
      const c = await new GenericContainer(image)
        .withName(`ringtail-test-${t.kafkaPort}-${name}`)
        .withNetworkMode('host')
        .withEnvironment(env)
        .withCommand(command)
        .withWaitStrategy(Wait.forHealthCheck())
        .withStartupTimeout(STARTUP_TIMEOUT_MS)
        .start();
      this.containers.set(name, c);
    };
    const kafka = start('kafka', KAFKA_IMAGE, []);
    await start('redis-a', REDIS_IMAGE, ['primary']);
    await start('redis-b', REDIS_IMAGE, ['replica']);
    await Promise.all([1, 2, 3].map((n) => start(`sentinel-${n}`, REDIS_IMAGE, ['sentinel', String(n)])));
    await kafka;
    await eventually(`the containers at Kafka port ${t.kafkaPort} serving clients`, STARTUP_TIMEOUT_MS, () => stackServes(t), 500);
  }

  /** SIGKILL to the container's main process, as a crashed host would do it. */
  kill(name: string): void {
    docker(['kill', '--signal', 'KILL', this.get(name).getId()]);
  }

  /** Starts a killed container again (same filesystem and volumes), as a supervisor would. */
  restart(name: string): void {
    docker(['start', this.get(name).getId()]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.containers.values()].map((c) => c.stop({ remove: true, removeVolumes: true, timeout: 5_000 })));
    this.containers.clear();
  }

  private get(name: string): StartedTestContainer {
    const c = this.containers.get(name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }
}

function docker(args: string[]): void {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
}
