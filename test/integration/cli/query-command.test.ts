import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parseResolutions, redisKeys } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

const CLI = new URL('../../../libs/cli/bin/ringtail.mjs', import.meta.url).pathname;
const run = promisify(execFile);
// Recent, so the windows are within their retention; aligned to the 30s windows.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;

interface Row {
  resolution: string;
  stepMs: number;
  points: { startMs: number; count: number; sum: number }[];
}

async function query(env: Record<string, string>, ...args: string[]): Promise<Row[]> {
  const { stdout } = await run(process.execPath, [CLI, 'query', ...args, '--json'], { env: { ...process.env, ...env }, timeout: 60_000 });
  return JSON.parse(stdout) as Row[];
}

describe('ringtail query', () => {
  const namespace = randomNamespace('cli-query');
  let redis: Redis;

  beforeAll(async () => {
    const stack = stackEndpoints();
    redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'cli-query-test', 10_000);
    // Windows as shard workers configured with RESOLUTIONS=5s:1h,30s:1d write them.
    const writer = new WindowWriter(redis, namespace, parseResolutions('5s:1h,30s:1d'));
    await writer.write([0, 1, 2, 7].map((i) => ({ name: 'cli_probe', labels: { job: 'q' }, value: i, timestampMs: T0 + i * 5000 })));
  });

  afterAll(async () => {
    const keys = await redis.keys(`${redisKeys(namespace).prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('reads the windows RESOLUTIONS lists, as the shard workers write them', async () => {
    const env = { ...stackEnv(stackEndpoints(), namespace), RESOLUTIONS: '5s:1h,30s:1d' };
    const rows = await query(env, 'cli_probe{job="q"}', '--from', String(T0), '--to', String(T0 + 60_000));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.resolution).toBe('5s');
    expect(rows[0]!.points.map((p) => [p.startMs - T0, p.count, p.sum])).toEqual([[0, 1, 0], [5000, 1, 1], [10_000, 1, 2], [35_000, 1, 7]]);

    const coarse = await query(env, 'cli_probe{job="q"}', '--from', String(T0), '--to', String(T0 + 60_000), '--step', '30s');
    expect(coarse[0]!.resolution).toBe('30s');
    expect(coarse[0]!.points.map((p) => p.count)).toEqual([3, 1]);
  });

  it('evaluates PromQL as the query API does, beside plain selectors', async () => {
    const env = { ...stackEnv(stackEndpoints(), namespace), RESOLUTIONS: '5s:1h,30s:1d' };
    const at = String(T0 + 60_000);
    const { stdout } = await run(process.execPath, [CLI, 'query', 'sum_over_time(cli_probe{job="q"}[1m]) * 2', '--from', at, '--to', at, '--step', '30s', '--json'], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ resultType: 'vector', series: [{ labels: { job: 'q' }, points: [[T0 + 60_000, 20]] }] });
    const text = await run(process.execPath, [CLI, 'query', 'count_over_time(cli_probe[1m])', '--from', at, '--to', at, '--step', '30s'], { env: { ...process.env, ...env }, timeout: 60_000 });
    expect(text.stdout).toContain('{job="q"}');
    expect(text.stdout).toContain(`${new Date(T0 + 60_000).toISOString()}  4`);
  });

  it('names RESOLUTIONS when it is malformed', async () => {
    const env = { ...stackEnv(stackEndpoints(), namespace), RESOLUTIONS: '5 s:1h' };
    const failed = await run(process.execPath, [CLI, 'query', 'cli_probe', '--json'], { env: { ...process.env, ...env } }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/RESOLUTIONS: expected step:retention/);
  });
});
