import { performance } from 'node:perf_hooks';
import { formatHostPort } from '@ringtail/runtime';
import { DockerStack, LocalStack, loadStackSettings, resolveMode, stackDown, stackUp, type StackEndpoints } from '@ringtail/stack';
import type { Command } from '../command.ts';

/** Environment lines a service or client needs to reach the stack. */
export function endpointEnv(e: StackEndpoints): string {
  return [
    `KAFKA_BROKERS=${e.kafkaBrokers.join(',')}`,
    `REDIS_SENTINELS=${e.sentinels.map(formatHostPort).join(',')}`,
    `REDIS_SENTINEL_MASTER=${e.sentinelMasterName}`,
    // Users, password files and the CA of a secured stack: paths, never a password.
    ...Object.entries(e.clientEnv).map(([k, v]) => `${k}=${v}`),
  ].join('\n');
}

export const stackCommand: Command = {
  summary: 'Start, stop or show the stack: a Kafka broker (KRaft) and Redis primary + replica + 3 Sentinels.\n' +
    'Mode from RINGTAIL_STACK_MODE: auto (default: a running local stack, else containers if a Docker engine answers, else local processes),\n' +
    'local, docker (docker-compose.yml), external.\n' +
    '--secure (or RINGTAIL_STACK_SECURE=true): the secured local stack, with Redis and Sentinel ACL users, TLS everywhere and\n' +
    'Kafka SASL_SSL (SCRAM); certificates and passwords are made at first start under $RINGTAIL_CACHE_DIR/stack-secure/secrets.\n' +
    'Its ports come from RINGTAIL_SECURE_KAFKA_PORT, RINGTAIL_SECURE_REDIS_PORT and RINGTAIL_SECURE_SENTINEL_PORT\n' +
    '(19392, 16490, 26490), the open stack\'s from RINGTAIL_KAFKA_PORT, RINGTAIL_REDIS_PORT and RINGTAIL_SENTINEL_PORT.',
  usage: 'ringtail stack up|down|status [--secure]',
  async run(args) {
    const secure = args.includes('--secure');
    const settings = loadStackSettings(secure ? { ...process.env, RINGTAIL_STACK_SECURE: 'true' } : process.env);
    const [action] = args.filter((a) => a !== '--secure');
    switch (action) {
      case 'up': {
        const started = performance.now();
        const { mode, endpoints } = await stackUp(settings);
        const ms = Math.round(performance.now() - started);
        process.stdout.write(`stack up (${mode}) in ${ms} ms\n${endpointEnv(endpoints)}\n`);
        return 0;
      }
      case 'down': {
        const mode = await stackDown(settings);
        process.stdout.write(`stack down (${mode})\n`);
        return 0;
      }
      case 'status': {
        const mode = resolveMode(settings);
        if (mode === 'docker') return new DockerStack(settings.topology).status() ? 0 : 3;
        if (mode === 'external') {
          process.stdout.write('mode external: the stack is not Ringtail\'s to list\n');
          return 0;
        }
        const rows = new LocalStack(settings.topology).status();
        for (const r of rows) {
          process.stdout.write(`${r.name.padEnd(14)} ${r.state.padEnd(8)} ${String(r.pid ?? '-').padEnd(8)} ${r.listen}\n`);
        }
        for (const r of rows) if (r.mismatch) process.stderr.write(`${r.mismatch}\n`);
        return rows.every((r) => r.state === 'running') ? 0 : 3;
      }
      default:
        process.stderr.write(`usage: ${this.usage}\n`);
        return 2;
    }
  },
};
