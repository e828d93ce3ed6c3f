import type { Redis } from 'ioredis';
import type { RedisKeys } from '@ringtail/model';
import { RedisUnavailableError, ReplicationTimeoutError } from './errors.ts';
import { flushPayload } from './flush-payload.ts';
import { flushOutcome, registerFlushScript, type FlushClient, type FlushOutcome } from './flush-script.ts';
import type { WindowSink } from './shard-worker.ts';
import { NO_WATERMARK, type PartitionBatch } from './window-aggregator.ts';

export interface RedisWindowSinkOptions {
  readonly keys: RedisKeys;
  /** Replicas that must acknowledge a flush before its Kafka offsets are committed. */
  readonly minReplicas: number;
  readonly waitTimeoutMs: number;
}

/** The WindowSink on Redis: flush-1.lua per partition batch, then WAIT. */
export class RedisWindowSink implements WindowSink {
  private readonly redis: FlushClient;

  constructor(
    redis: Redis,
    private readonly opts: RedisWindowSinkOptions,
  ) {
    this.redis = registerFlushScript(redis);
  }

  async readWatermarks(shardTopic: string, shardPartition: number): Promise<Map<number, number>> {
    const stored = await this.call('HGETALL', () => this.redis.hgetall(this.opts.keys.watermarks(shardTopic, shardPartition)));
    const out = new Map<number, number>();
    for (const [rp, offset] of Object.entries(stored)) out.set(Number(rp), Number(offset ?? NO_WATERMARK));
    return out;
  }

  async apply(shardTopic: string, batch: PartitionBatch): Promise<FlushOutcome> {
    const key = this.opts.keys.watermarks(shardTopic, batch.shardPartition);
    const reply = await this.call('flush', () => this.redis.ringtailFlush(key, flushPayload(this.opts.keys, batch)));
    return flushOutcome(reply, shardTopic, batch.shardPartition);
  }

  async awaitReplicas(): Promise<void> {
    const { minReplicas, waitTimeoutMs } = this.opts;
    if (minReplicas === 0) return;
    const acknowledged = await this.call('WAIT', () => this.redis.wait(minReplicas, waitTimeoutMs));
    if (acknowledged < minReplicas) throw new ReplicationTimeoutError(acknowledged, minReplicas, waitTimeoutMs);
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new RedisUnavailableError(operation, { cause });
    }
  }
}
