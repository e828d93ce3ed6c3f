import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { CrashSupervisor, MetricsRegistry, createLogger, metricValue, parseExposition } from '@ringtail/runtime';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

describe('a kafkajs consumer under the crash supervisor', () => {
  it('is restarted after a crash kafkajs gives up on (a RangeError in eachBatch) and consumes everything after it', async () => {
    const { kafkaBrokers } = stackEndpoints();
    const kafka = new Kafka({ clientId: 'consumer-restart-test', brokers: [...kafkaBrokers], logLevel: logLevel.NOTHING });
    const topic = `${randomNamespace('restart')}events`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: String(i) })) });

    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    const crashes: boolean[] = [];
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(e.payload.restart));
    const received = new Set<string>();
    let thrown = false;
    const run = () =>
      consumer.run({
        eachMessage: async ({ message }) => {
          // What the poison pill did: an error kafkajs treats as unrecoverable, once.
          if (!thrown && message.value?.toString() === '50') {
            thrown = true;
            throw new RangeError('Maximum call stack size exceeded');
          }
          received.add(String(message.value));
        },
      });
    const metrics = new MetricsRegistry();
    const supervisor = CrashSupervisor.restartingConsumer(consumer, run, {
      name: 'test consumer',
      backoff: { initialMs: 100, maxMs: 1_000 },
      metrics,
      metricPrefix: 'ringtail_test_consumer',
      log: createLogger('consumer-restart-test', 'silent'),
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await run();
    try {
      await eventually('every message consumed', 60_000, async () => (received.size === 100 ? true : undefined), 100);
      // kafkajs itself would not have restarted the consumer.
      expect(crashes).toEqual([false]);
      await eventually('running again', 30_000, async () => (supervisor.isRunning() ? true : undefined), 50);
      expect(metricValue(parseExposition(await metrics.metrics()), 'ringtail_test_consumer_restarts_total', { by: 'supervisor' })).toBe(1);
    } finally {
      supervisor.stop();
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });
});
