import type { EachBatchPayload } from 'kafkajs';
import { OffsetCommitError } from './errors.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { RawBatchRouter, type RawBatchRouterDeps, type RoutedBatch } from './raw-batch-router.ts';
import type { RoutedBatchWriter } from './routed-batch-writer.ts';

// kafkajs only heartbeats when asked to; its heartbeat() is throttled to the
// heartbeat interval, so asking every few hundred messages is cheap.
const HEARTBEAT_EVERY_MESSAGES = 500;

export interface BatchHandlerDeps {
  readonly routing: RawBatchRouterDeps;
  readonly writer: RoutedBatchWriter;
  readonly metrics: IngestMetrics;
  readonly now: () => number;
}

/**
 * The kafkajs `eachBatch` handler (run with autoCommit and eachBatchAutoResolve
 * off). Per raw batch: route every message, write shard records and DLQ
 * entries, wait for their acks, and only then resolve and commit the batch.
 * A failed write throws before anything is resolved, so kafkajs fetches the
 * batch again from the last resolved offset; a replay re-creates the same
 * records (duplicates the shard skips by watermark), never a gap.
 */
export function createBatchHandler(deps: BatchHandlerDeps): (payload: EachBatchPayload) => Promise<void> {
  return async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }) => {
    if (batch.messages.length === 0) return;
    const started = deps.now();
    const router = new RawBatchRouter(deps.routing, batch.partition);
    let sinceHeartbeat = 0;
    for (const message of batch.messages) {
      router.add(Number(message.offset), message.value);
      if (++sinceHeartbeat >= HEARTBEAT_EVERY_MESSAGES) {
        sinceHeartbeat = 0;
        await heartbeat();
        // A seek on this partition (it was revoked or reset) makes the rest of this batch moot.
        if (isStale()) return;
      }
    }
    const routed = router.finish();
    await deps.writer.write(routed, batch.topic);

    const lastOffset = batch.lastOffset();
    resolveOffset(lastOffset);
    const next = String(BigInt(lastOffset) + 1n);
    try {
      // The payload's commit goes straight to the group coordinator; consumer.commitOffsets
      // is skipped once stop() has begun, which would drop the in-flight batch's commit.
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
    } catch (err) {
      throw new OffsetCommitError(batch.topic, batch.partition, Number(next), { cause: err });
    }
    record(deps.metrics, routed, batch.partition, Number(batch.offsetLag()), deps.now() - started);
    await heartbeat();
  };
}

function record(metrics: IngestMetrics, routed: RoutedBatch, partition: number, lag: number, durationMs: number): void {
  metrics.messagesIn.inc(routed.messages);
  metrics.samplesIn.inc(routed.samples);
  for (const [worker, n] of routed.routedByWorker) metrics.samplesRouted.inc(n, { worker });
  const byCode = new Map<string, number>();
  for (const entry of routed.dlq) byCode.set(entry.rejection.code, (byCode.get(entry.rejection.code) ?? 0) + 1);
  for (const [code, n] of byCode) metrics.dlqRecords.inc(n, { code });
  metrics.consumerLag.set(lag, { partition: String(partition) });
  metrics.batchDuration.observe(durationMs);
}
