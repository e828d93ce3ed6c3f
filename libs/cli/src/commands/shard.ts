import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS, loadStackSettings, stackUp } from '@ringtail/stack';
import type { Command } from '../command.ts';

const ROOT = new URL('../../../..', import.meta.url).pathname;

/**
 * One more shard worker in the foreground, for scaling up by hand: it joins
 * the shard group and takes its share of the slots at the next rebalance.
 * Ctrl-C (or SIGTERM) makes it leave gracefully: flush, WAIT, commit, leave.
 */
export const shardCommand: Command = {
  summary:
    'Runs one more shard worker in the foreground on the local stack (or the one KAFKA_BROKERS and REDIS_SENTINELS name).\n' +
    'It joins the shard group and takes its share of the slots; Ctrl-C leaves gracefully, handing its slots to the others.',
  usage: 'ringtail shard [--id <SHARD_WORKER_ID>]  (other settings from the environment, see services/shard/README.md)',
  async run(args) {
    const idAt = args.indexOf('--id');
    const id = idAt >= 0 ? args[idAt + 1] : undefined;
    const env: Record<string, string | undefined> = { ...process.env };
    if (env.KAFKA_BROKERS === undefined || env.REDIS_SENTINELS === undefined) {
      const { endpoints } = await stackUp(loadStackSettings(process.env));
      env.KAFKA_BROKERS = endpoints.kafkaBrokers.join(',');
      env.REDIS_SENTINELS = endpoints.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
      env.REDIS_SENTINEL_MASTER = endpoints.sentinelMasterName;
    }
    if (id !== undefined) env.SHARD_WORKER_ID = id;
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'services/shard/src/main.ts')], { cwd: ROOT, env, stdio: 'inherit' });
    // The terminal's Ctrl-C reaches the worker too; forward it once for a graceful leave either way.
    const forward = () => child.kill('SIGTERM');
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return code;
  },
};
