import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LocalStack, loadStackSettings, stackUp } from '@ringtail/stack';
import { createSentinelClient, sentinelPrimary } from '@ringtail/runtime';
import { inject } from 'vitest';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

async function primaryPort(sentinel: { host: string; port: number }, master: string): Promise<number | undefined> {
  return (await sentinelPrimary(sentinel, master))?.port;
}

describe('the stack Redis Sentinel set', () => {
  // Whatever happened, leave a full Sentinel set (the killed node restarted as a replica) for the next test.
  afterEach(async () => {
    await stackUp(loadStackSettings(process.env));
  });

  // Killing a process needs the local stack; in docker/external mode there is no pid to kill.
  it.runIf(inject('stackMode') === 'local')(
    'resumes acknowledged writes on the promoted replica after the primary is killed',
    async () => {
      const endpoints = stackEndpoints();
      const settings = loadStackSettings(process.env);
      const stack = new LocalStack(settings.topology);
      const key = `${randomNamespace('failover')}counter`;
      const client = createSentinelClient({ sentinels: endpoints.sentinels, masterName: endpoints.sentinelMasterName }, 'failover-test', 1000);
      client.on('error', () => undefined);

      const before = await primaryPort(endpoints.sentinels[0]!, endpoints.sentinelMasterName);
      const pid = stack.redisPidByPort(before!);
      expect(pid, 'primary pid known to the local stack').toBeDefined();

      // Before the kill a write counts as acknowledged only once a replica has it (WAIT),
      // as the shard does before committing Kafka offsets.
      let acknowledged = 0;
      let lastAckBeforeKill = 0;
      for (let i = 0; i < 200; i++) {
        await client.incr(key);
        expect(await client.call('WAIT', '1', '2000')).toBe(1);
        acknowledged += 1;
        lastAckBeforeKill = performance.now();
      }
      process.kill(pid!, 'SIGKILL');

      // The promoted replica has no replica of its own until the killed node returns,
      // so after the kill the measure is the first write the new primary accepts.
      let firstWriteAfterKill = 0;
      const deadline = performance.now() + 60_000;
      while (firstWriteAfterKill === 0 && performance.now() < deadline) {
        try {
          await client.incr(key);
          firstWriteAfterKill = performance.now();
        } catch {
          // Expected while no primary is reachable; the loop ends at the deadline.
        }
      }
      expect(firstWriteAfterKill, 'a write succeeded after the kill').toBeGreaterThan(0);
      const pauseMs = Math.round(firstWriteAfterKill - lastAckBeforeKill);
      process.stdout.write(`[failover] write pause after kill -9 of the primary: ${pauseMs} ms\n`);

      const after = await primaryPort(endpoints.sentinels[0]!, endpoints.sentinelMasterName);
      expect(after).not.toBe(before);
      // No acknowledged increment was lost in the failover.
      expect(Number(await client.get(key))).toBeGreaterThanOrEqual(acknowledged + 1);

      // Restart the killed node; Sentinel turns it into a replica of the new primary.
      await stackUp(settings);
      await eventually('the old primary rejoined as a replica', 30_000, async () => {
        const old = new Redis({ host: '127.0.0.1', port: before, lazyConnect: true });
        try {
          await old.connect();
          return /role:slave/.test(await old.info('replication')) ? true : undefined;
        } finally {
          old.disconnect();
        }
      });
      // With the old primary back as a replica, writes are acknowledged by a replica again.
      await client.incr(key);
      expect(await client.call('WAIT', '1', '5000')).toBe(1);
      await client.del(key);
      client.disconnect();
    },
  );
});
