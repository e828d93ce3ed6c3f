import type { EachBatchPayload } from 'kafkajs';
import type { IngestMetrics } from './ingest-metrics.ts';
import { RawBatchRouter, type RawBatchRouterDeps } from './raw-batch-router.ts';
import type { WritePipeline } from './write-pipeline.ts';

// kafkajs only heartbeats when asked to; its heartbeat() is throttled to the
// heartbeat interval, so asking every few hundred messages is cheap.
const HEARTBEAT_EVERY_MESSAGES = 500;
// While the write pipeline is full, heartbeat this often so the group keeps the member.
const FULL_PIPELINE_HEARTBEAT_MS = 1_000;

export interface BatchHandlerDeps {
  readonly routing: RawBatchRouterDeps;
  readonly pipeline: WritePipeline;
  readonly metrics: IngestMetrics;
  readonly now: () => number;
  /** Epoch ms, the clock of Kafka record timestamps. */
  readonly wallClockMs: () => number;
}

/**
 * The kafkajs `eachBatch` handler (run with autoCommit and eachBatchAutoResolve
 * off). Per raw batch: route every message, hand the result to the write
 * pipeline and resolve the batch, so kafkajs fetches the next one while this
 * one is written. Only the pipeline commits, after the writes are acknowledged;
 * until then a restart or rebalance reads the batch again from the committed
 * offset (duplicates, which the shard skips by watermark).
 * While the pipeline holds `maxPendingSamples`, the handler waits (heartbeating).
 * Once the pipeline is closed (shutdown), batches are left unresolved.
 */
export function createBatchHandler(deps: BatchHandlerDeps): (payload: EachBatchPayload) => Promise<void> {
  const { pipeline } = deps;
  return async ({ batch, resolveOffset, heartbeat, isStale }) => {
    if (batch.messages.length === 0 || pipeline.isClosed) return;
    const receivedMs = deps.now();
    const newestTimestamp = Number(batch.messages[batch.messages.length - 1]!.timestamp);
    if (Number.isFinite(newestTimestamp)) deps.metrics.rawRecordAgeMs.observe(Math.max(0, deps.wallClockMs() - newestTimestamp));
    const router = new RawBatchRouter(deps.routing, batch.partition);
    let sinceHeartbeat = 0;
    for (const message of batch.messages) {
      router.add(Number(message.offset), message.value, Number(message.timestamp));
      if (++sinceHeartbeat >= HEARTBEAT_EVERY_MESSAGES) {
        sinceHeartbeat = 0;
        await heartbeat();
        // A seek on this partition (it was revoked or reset) makes the rest of this batch moot.
        if (isStale()) return;
      }
    }
    if (pipeline.isClosed || isStale()) return;
    const lastOffset = batch.lastOffset();
    pipeline.add({ routed: router.finish(), rawTopic: batch.topic, commitOffset: BigInt(lastOffset) + 1n, receivedMs });
    // Moves only kafkajs's fetch position: with autoCommit off nothing commits resolved offsets.
    resolveOffset(lastOffset);
    deps.metrics.consumerLag.set({ partition: String(batch.partition) }, Number(batch.offsetLag()));
    while (!(await pipeline.waitForRoom(FULL_PIPELINE_HEARTBEAT_MS))) await heartbeat();
    await heartbeat();
  };
}
