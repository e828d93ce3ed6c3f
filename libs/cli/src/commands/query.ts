import { parseArgs } from 'node:util';
import { formatTable, querySeries } from '@ringtail/query';
import { redisKeys } from '@ringtail/model';
import { parseEnv, resolutionsSetting } from '@ringtail/runtime';
import { cliEnv, connectCliRedis } from '../client-env.ts';
import type { Command } from '../command.ts';
import { durationOption, parseTimeMs } from '../durations.ts';

// The windows the shard workers write: RESOLUTIONS, read the same way they read it.
const queryEnv = cliEnv.extend({ RESOLUTIONS: resolutionsSetting });

export const queryCommand: Command = {
  summary:
    'Reads window aggregates back from Redis: count, sum, min, max, first, last per step for every series the selector matches.\n' +
    'Selector: metric{label="v",other!="x",re=~"a.*",nre!~"b"}. Times: epoch ms, ISO, now, now-15m. Reaches Redis through REDIS_SENTINELS;\n' +
    'reads the windows RESOLUTIONS lists, as the shard workers write them.',
  usage: 'ringtail query <selector> [--from now-5m] [--to now] [--step 10s] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        from: { type: 'string', default: 'now-5m' },
        to: { type: 'string', default: 'now' },
        step: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const [selector] = positionals;
    if (!selector) {
      process.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const env = parseEnv(queryEnv, process.env);
    const now = Date.now();
    const fromMs = parseTimeMs(values.from!, '--from', now);
    const toMs = parseTimeMs(values.to!, '--to', now);
    const stepMs = values.step ? durationOption(values.step, '--step') : undefined;
    const redis = await connectCliRedis(env, 'ringtail-query');
    try {
      const rows = await querySeries(redis, redisKeys(env.RINGTAIL_NAMESPACE, env.SHARD_SLOTS), selector, { fromMs, toMs, stepMs, resolutions: env.RESOLUTIONS });
      process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatTable(rows)}\n`);
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
