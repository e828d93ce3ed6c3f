import { performance } from 'node:perf_hooks';
import type { TestProject } from 'vitest/node';
import { DockerStack, dockerEngineReachable, loadStackSettings } from '@ringtail/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the docker tests cannot run here; empty when a Docker engine answers. */
    dockerSkipReason: string;
  }
}

/**
 * The docker project needs an engine and the repository's images. Without
 * an engine the tests are skipped with the reason printed; with one, the images are built
 * (or found in the engine's cache) once, before any test starts containers from them.
 */
export default async function setup(project: TestProject): Promise<void> {
  if (!dockerEngineReachable()) {
    const reason = `no Docker engine answers \`docker info\` (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}); .ci/run starts one`;
    process.stdout.write(`[docker] skipping the docker tests: ${reason}\n`);
    project.provide('dockerSkipReason', reason);
    return;
  }
  const started = performance.now();
  // Kafka and Redis for the tests; `ingest` stands for the Ringtail image, built so CI checks it too.
  new DockerStack(loadStackSettings(process.env).topology).build(['kafka', 'redis-a', 'ingest']);
  process.stdout.write(`[docker] images ready in ${Math.round(performance.now() - started)} ms\n`);
  project.provide('dockerSkipReason', '');
}
