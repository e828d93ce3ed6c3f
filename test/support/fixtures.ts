import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { StackEndpoints } from '@ringtail/stack';

export { eventually } from '@ringtail/runtime';
export { stackEnv } from './stack-env.ts';

/** The stack the global setup started. */
export function stackEndpoints(): StackEndpoints {
  return inject('stack');
}

/** A fresh namespace so each test has its own topics, groups and Redis keys. */
export function randomNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}.`;
}
