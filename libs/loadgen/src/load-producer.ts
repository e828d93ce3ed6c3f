import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import type { RawSample, SampleGenerator } from './sample-generator.ts';

export interface LoadOptions {
  readonly topic: string;
  /** Target samples per second; 0 means as fast as the broker takes them. */
  readonly ratePerSec: number;
  readonly durationMs?: number;
  /** Stop after this many samples (whichever of duration and count comes first). */
  readonly totalSamples?: number;
  /** Samples per Kafka message (a JSON array); 1 writes single-sample objects. */
  readonly samplesPerMessage: number;
  /** Messages per produce request. */
  readonly messagesPerSend: number;
  readonly clock?: () => number;
  /** Stops the run (after the send in flight) when aborted. */
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  readonly samples: number;
  readonly messages: number;
  readonly elapsedMs: number;
}

/**
 * Produces generated samples at the target rate. `onAcked` sees every sample of
 * every message the broker acknowledged (acks=-1), in send order — the record of
 * exactly what was produced. A failed send throws: nothing is silently dropped.
 */
export async function produceLoad(
  producer: Producer,
  generator: SampleGenerator,
  opts: LoadOptions,
  onAcked: (samples: readonly RawSample[], sentAtMs: number) => void = () => undefined,
): Promise<LoadResult> {
  const clock = opts.clock ?? Date.now;
  const start = clock();
  const perSend = opts.samplesPerMessage * opts.messagesPerSend;
  let samples = 0;
  let messages = 0;
  for (;;) {
    const now = clock();
    if (opts.signal?.aborted) break;
    if (opts.durationMs !== undefined && now - start >= opts.durationMs) break;
    if (opts.totalSamples !== undefined && samples >= opts.totalSamples) break;
    if (opts.ratePerSec > 0) {
      const dueMs = start + (samples / opts.ratePerSec) * 1000;
      // A batch due at or after the end belongs to the next run, not this one.
      if (opts.durationMs !== undefined && dueMs - start >= opts.durationMs) break;
      if (dueMs > now) await sleep(Math.min(dueMs - now, 50));
      if (dueMs > clock()) continue;
    }
    const want = opts.totalSamples === undefined ? perSend : Math.min(perSend, opts.totalSamples - samples);
    const batch = generator.next(want, clock());
    const kafkaMessages = [];
    for (let i = 0; i < batch.length; i += opts.samplesPerMessage) {
      const chunk = batch.slice(i, i + opts.samplesPerMessage);
      kafkaMessages.push({ value: JSON.stringify(opts.samplesPerMessage === 1 ? chunk[0] : chunk) });
    }
    const sentAt = clock();
    await producer.send({ topic: opts.topic, acks: -1, messages: kafkaMessages });
    onAcked(batch, sentAt);
    samples += batch.length;
    messages += kafkaMessages.length;
  }
  return { samples, messages, elapsedMs: clock() - start };
}
