import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LocalStack, loadStackSettings, stackCredentialsOf, type StackCredentials, type StackEndpoints, type StackTopology } from '@ringtail/stack';

/**
 * The secured local stack the security tests start beside the open one, on the
 * secured stack's own ports: RINGTAIL_SECURE_KAFKA_PORT (and +1 for its controller),
 * RINGTAIL_SECURE_REDIS_PORT (and +1 for the replica), RINGTAIL_SECURE_SENTINEL_PORT
 * (and +1, +2), read by `loadStackSettings` as for `ringtail stack up --secure`.
 * Like the open stack it is left running for the next run; `ringtail stack down --secure`
 * with the same environment stops it.
 */
export function secureTopology(env: NodeJS.ProcessEnv = process.env): StackTopology {
  return loadStackSettings({ ...env, RINGTAIL_STACK_MODE: 'local', RINGTAIL_STACK_SECURE: 'true' }).topology;
}

export interface SecureStack {
  readonly topology: StackTopology;
  readonly endpoints: StackEndpoints;
  readonly credentials: StackCredentials;
  /** The password of each stack user, read from its file, for tests that set secrets by value. */
  readonly passwords: { readonly kafka: string; readonly redis: string; readonly sentinel: string };
}

/** Brings the secured stack up (idempotent) and prints how long that took. */
export async function secureStackUp(label: string): Promise<SecureStack> {
  const topology = secureTopology();
  const started = performance.now();
  const endpoints = await new LocalStack(topology).up();
  process.stdout.write(`[${label}] secured stack ready in ${Math.round(performance.now() - started)} ms\n`);
  const credentials = stackCredentialsOf(topology);
  const passwords = { kafka: credentials.password('kafka'), redis: credentials.password('redis'), sentinel: credentials.password('sentinel') };
  return { topology, endpoints, credentials, passwords };
}

/** The text of a file, '' when it does not exist (a process that never wrote a line). */
export function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
