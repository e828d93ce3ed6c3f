import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { evaluate, parsePromql, RedisWindowSource, type EvaluationResult } from '@ringtail/promql';
import { formatTable, parseSelector, pickResolution, querySeries, SeriesCache } from '@ringtail/query';
import { formatValue, redisKeys, type RedisKeys, type Resolution } from '@ringtail/model';
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
    'reads the windows RESOLUTIONS lists, as the shard workers write them.\n' +
    'Any other PromQL (rate(x[1m]), sum by (job) (...), a / b) is evaluated as the query API does it, at every --step\n' +
    '(default: the window of the resolution the range picks) from --from to --to: one value per series and time.',
  usage: 'ringtail query <selector or PromQL> [--from now-5m] [--to now] [--step 10s] [--json]',
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
      if (!isPlainSelector(selector)) {
        const resolutions = env.RESOLUTIONS;
        const step = stepMs ?? pickResolution(resolutions, { rangeMs: toMs - fromMs }).stepMs;
        const result = await promql(redis, redisKeys(env.RINGTAIL_NAMESPACE, env.SHARD_SLOTS), selector, { fromMs, toMs, stepMs: step, nowMs: now, resolutions });
        process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatResult(result));
        return 0;
      }
      const rows = await querySeries(redis, redisKeys(env.RINGTAIL_NAMESPACE, env.SHARD_SLOTS), selector, { fromMs, toMs, stepMs, resolutions: env.RESOLUTIONS });
      process.stdout.write(values.json ? `${JSON.stringify(rows)}\n` : `${formatTable(rows)}\n`);
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};

/** True when `text` is a bare selector, answered with window aggregates as before PromQL was accepted. */
function isPlainSelector(text: string): boolean {
  try {
    parseSelector(text);
    return true;
  } catch {
    return false;
  }
}

const CLI_LIMITS = { maxSeries: 20_000, maxWindows: 4_000_000, lookbackMs: 300_000 };

async function promql(
  redis: Redis,
  keys: RedisKeys,
  text: string,
  opts: { fromMs: number; toMs: number; stepMs: number; nowMs: number; resolutions: readonly Resolution[] },
): Promise<EvaluationResult> {
  const source = new RedisWindowSource(redis, keys, new SeriesCache(CLI_LIMITS.maxSeries));
  const startMs = Math.ceil(opts.fromMs / opts.stepMs) * opts.stepMs;
  return evaluate(source, { expr: parsePromql(text), startMs, endMs: Math.max(startMs, opts.toMs), stepMs: opts.stepMs, nowMs: opts.nowMs, resolutions: opts.resolutions, limits: CLI_LIMITS, checkDeadline: () => undefined });
}

function formatResult(result: EvaluationResult): string {
  if (result.resultType === 'string') return `${result.value}\n`;
  const lines: string[] = [];
  for (const s of result.series) {
    const { __name__: name = '', ...rest } = s.labels;
    const labels = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
    lines.push(`${name}{${labels}}`);
    for (const [t, v] of s.points) lines.push(`  ${new Date(t).toISOString()}  ${formatValue(v)}`);
  }
  return lines.length === 0 ? '(no series)\n' : `${lines.join('\n')}\n`;
}
