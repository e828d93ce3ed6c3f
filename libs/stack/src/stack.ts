import { DockerStack, dockerEngineReachable } from './docker-stack.ts';
import { StackError } from './errors.ts';
import { LocalStack } from './local-stack.ts';
import { formatHostPort } from '@ringtail/runtime';
import { hostPortsSetting, type StackEndpoints, type StackSettings } from './topology.ts';

export type ResolvedMode = 'local' | 'docker' | 'external';

/**
 * `auto` means containers when a Docker engine answers, local processes otherwise; a local
 * stack that is already running stays the one in use, so an engine started later (as CI
 * does for the docker tests) does not move the stack under running clients; nor does one
 * whose pid files name processes of other settings (`up` refuses to start over those).
 */
export function resolveMode(settings: StackSettings): ResolvedMode {
  if (settings.mode !== 'auto') return settings.mode;
  if (new LocalStack(settings.topology).status().some((c) => c.state !== 'stopped')) return 'local';
  return dockerEngineReachable() ? 'docker' : 'local';
}

/** Brings the stack up in the configured mode (idempotent) and returns its endpoints. */
export async function stackUp(settings: StackSettings): Promise<{ mode: ResolvedMode; endpoints: StackEndpoints }> {
  const mode = resolveMode(settings);
  switch (mode) {
    case 'local':
      return { mode, endpoints: await new LocalStack(settings.topology).up() };
    case 'docker':
      return { mode, endpoints: await new DockerStack(settings.topology).up() };
    case 'external':
      return { mode, endpoints: externalEndpoints(settings) };
  }
}

export async function stackDown(settings: StackSettings): Promise<ResolvedMode> {
  const mode = resolveMode(settings);
  if (mode === 'local') await new LocalStack(settings.topology).down();
  if (mode === 'docker') await new DockerStack(settings.topology).down();
  return mode;
}

/** Endpoints of servers Ringtail did not start: KAFKA_BROKERS and REDIS_SENTINELS. */
export function externalEndpoints(settings: StackSettings): StackEndpoints {
  const { kafkaBrokers, sentinels } = settings.external;
  if (!kafkaBrokers || !sentinels) {
    throw new StackError(
      'STACK_CONFIG_INVALID',
      'RINGTAIL_STACK_MODE=external needs KAFKA_BROKERS (host:port,...) and REDIS_SENTINELS (host:port,...)',
    );
  }
  return {
    kafkaBrokers: hostPortsSetting(kafkaBrokers, 'KAFKA_BROKERS').map(formatHostPort),
    sentinels: hostPortsSetting(sentinels, 'REDIS_SENTINELS'),
    sentinelMasterName: settings.topology.sentinelMasterName,
    // The process' own KAFKA_SASL_* / REDIS_* settings apply; the launcher adds none.
    clientEnv: {},
  };
}
