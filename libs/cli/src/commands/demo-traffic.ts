import type { Producer } from 'kafkajs';
import { SampleGenerator, produceLoad, type RawSample } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { connectIdempotentProducer, createKafka, createLogger } from '@ringtail/runtime';

const PROGRESS_INTERVAL_MS = 5000;
// The demo queue fills for half of every minute, so the demo rule fires and resolves.
const BACKLOG_PERIOD_MS = 60_000;
const QUEUE_SIGNAL_INTERVAL_MS = 1000;

/** The signal the demo rule watches: 500 queued items in the first half of each minute, 20 in the second. */
function queueDepth(nowMs: number): RawSample {
  const backlog = nowMs % BACKLOG_PERIOD_MS < BACKLOG_PERIOD_MS / 2;
  return { name: 'ringtail_demo_queue_depth', labels: { queue: 'orders' }, value: backlog ? 500 : 20, timestamp: nowMs };
}

export interface DemoTraffic {
  readonly ratePerSec: number;
  readonly seriesCount: number;
  /** 0: until `signal` aborts. */
  readonly durationMs: number;
  readonly signal: AbortSignal;
}

/** Sends the queue-depth signal once a second until stopped; a failed send is reported, not fatal. */
function startQueueSignal(producer: Producer): () => void {
  const timer = setInterval(() => {
    producer.send({ topic: topicNames().raw, acks: -1, messages: [{ value: JSON.stringify(queueDepth(Date.now())) }] }).catch((err: unknown) => {
      process.stdout.write(`queue-depth sample not sent: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  }, QUEUE_SIGNAL_INTERVAL_MS);
  return () => clearInterval(timer);
}

/**
 * Produces generated load plus the demo rule's queue-depth signal into
 * metrics.raw, printing progress every few seconds; resolves with the number
 * of load samples acknowledged once the duration is over or `signal` aborts.
 */
export async function produceDemoTraffic(kafkaBrokers: readonly string[], t: DemoTraffic): Promise<number> {
  const kafka = createKafka(kafkaBrokers, 'ringtail-demo', createLogger('ringtail-demo', 'warn'));
  const producer = await connectIdempotentProducer(kafka);
  let produced = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    process.stdout.write(`[${Math.round((Date.now() - started) / 1000)}s] produced ${produced} samples\n`);
  }, PROGRESS_INTERVAL_MS);
  const stopSignal = startQueueSignal(producer);
  try {
    const generator = new SampleGenerator({ seriesCount: t.seriesCount, labelsPerSeries: 3, metricNames: 5, jitterMs: 2000, seed: Date.now() % 2 ** 31 });
    const options = {
      topic: topicNames().raw,
      ratePerSec: t.ratePerSec,
      durationMs: t.durationMs === 0 ? undefined : t.durationMs,
      samplesPerMessage: 50,
      messagesPerSend: 20,
      signal: t.signal,
    };
    await produceLoad(producer, generator, options, (s) => {
      produced += s.length;
    });
    return produced;
  } finally {
    stopSignal();
    clearInterval(progress);
    await producer.disconnect();
  }
}
