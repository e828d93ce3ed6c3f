import { describe, expect, inject, it } from 'vitest';
import { sentinelPrimary } from '@ringtail/runtime';
import { LocalStack, loadStackSettings, stackUp } from '@ringtail/stack';
import { eventually, stackEndpoints } from '../support/fixtures.ts';
import { useExactlyOnceBed } from '../support/exactly-once-bed.ts';

describe('the pipeline counts every sample exactly once through crashes', () => {
  const bed = useExactlyOnceBed('e2e/exactly-once-crashes');

  it('stays exact when a shard worker and an ingest instance are killed -9 mid-stream', async () => {
    const { load, pipeline } = bed;
    const before = load.produced.length;
    const traffic = load.produce(200_000, 40_000);
    await eventually('traffic flowing', 30_000, async () => (load.produced.length > before + 50_000 ? true : undefined), 20);
    const shard = pipeline.shards.get('w1')!;
    const ingest = pipeline.ingest[0]!;
    await Promise.all([shard.kill(), ingest.kill()]);
    await Promise.all([shard.start(120_000), ingest.start(120_000)]);
    await traffic;
    await load.expectExact('after kill -9 of shard w1 and ingest 0');
  });

  it.runIf(inject('stackMode') === 'local')('stays exact when the Redis primary is killed mid-stream', async () => {
    const { load } = bed;
    const settings = loadStackSettings(process.env);
    const stack = new LocalStack(settings.topology);
    const primary = await sentinelPrimary(stackEndpoints().sentinels[0]!, stackEndpoints().sentinelMasterName);
    const pid = stack.redisPidByPort(primary!.port);
    expect(pid).toBeDefined();

    const before = load.produced.length;
    const traffic = load.produce(150_000, 30_000);
    await eventually('traffic flowing', 30_000, async () => (load.produced.length > before + 40_000 ? true : undefined), 20);
    process.kill(pid!, 'SIGKILL');
    await traffic;
    // A supervisor restarts the dead node; Sentinel makes it a replica of the new primary.
    await stackUp(settings);
    await load.expectExact('after kill -9 of the Redis primary');
  });
});
