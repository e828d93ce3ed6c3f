import { performance } from 'node:perf_hooks';
import type { TestProject } from 'vitest/node';
import { loadStackSettings, stackUp, type StackEndpoints } from '@ringtail/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
    stackMode: string;
  }
}

/**
 * Brings the stack up once per test run (idempotent: a running stack is reused)
 * and hands its endpoints to the tests. The stack is left running afterwards so
 * the next run starts warm; `ringtail stack down` stops it.
 */
export default async function setup(project: TestProject): Promise<void> {
  const started = performance.now();
  const { mode, endpoints } = await stackUp(loadStackSettings(process.env));
  process.stdout.write(`[stack] ${mode} stack ready in ${Math.round(performance.now() - started)} ms\n`);
  project.provide('stack', endpoints);
  project.provide('stackMode', mode);
}
