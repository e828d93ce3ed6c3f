import { parseArgs } from 'node:util';
import { redisKeys, topicNames } from '@ringtail/model';
import { formatRingTable, readRingStatus, redisRingStatusStore } from '@ringtail/ring-status';
import { createLogger, parseEnv } from '@ringtail/runtime';
import { cliEnv, connectCliKafka, connectCliRedis } from '../client-env.ts';
import type { Command } from '../command.ts';

export const ringCommand: Command = {
  summary:
    'Shows the shard ring: the consumer group\'s generation and state, each worker with its slots, share, lag and last flush,\n' +
    'unowned slots and the latest rebalances. Members and assignments come from Kafka, flush times from Redis.',
  usage: 'ringtail ring status [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    if (positionals[0] !== 'status') {
      process.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const env = parseEnv(cliEnv, process.env);
    const topics = topicNames(env.RINGTAIL_NAMESPACE);
    const admin = (await connectCliKafka(env, 'ringtail-ring-status', createLogger('ringtail-ring', 'error'))).admin();
    const redis = await connectCliRedis(env, 'ringtail-ring-status');
    try {
      await admin.connect();
      const nowMs = Date.now();
      const status = await readRingStatus({
        admin,
        store: redisRingStatusStore(redis, redisKeys(env.RINGTAIL_NAMESPACE, env.SHARD_SLOTS)),
        topic: topics.shard,
        groupId: topics.shardGroup,
        nowMs,
      });
      process.stdout.write(values.json ? `${JSON.stringify(status)}\n` : formatRingTable(status, nowMs));
      return 0;
    } finally {
      await admin.disconnect();
      redis.disconnect();
    }
  },
};
