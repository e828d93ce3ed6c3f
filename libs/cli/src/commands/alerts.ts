import { parseArgs } from 'node:util';
import { formatAlertsTable, listAlerts } from '@ringtail/query';
import { parseEnv } from '@ringtail/runtime';
import { cliEnv, connectCliRedis } from '../client-env.ts';
import type { Command } from '../command.ts';

export const alertsCommand: Command = {
  summary: 'Lists alerts and their states (pending, firing, resolved) as the alerter keeps them in Redis.',
  usage: 'ringtail alerts [--json]',
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
    const env = parseEnv(cliEnv, process.env);
    const redis = await connectCliRedis(env, 'ringtail-alerts');
    try {
      const rows = await listAlerts(redis, env.RINGTAIL_NAMESPACE);
      process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatAlertsTable(rows)}\n`);
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
