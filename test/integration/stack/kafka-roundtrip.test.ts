import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

describe('the stack Kafka broker', () => {
  it('delivers every produced message to a consumer group exactly as written', async () => {
    const { kafkaBrokers } = stackEndpoints();
    const kafka = new Kafka({ clientId: 'stack-test', brokers: [...kafkaBrokers], logLevel: logLevel.NOTHING });
    const topic = `${randomNamespace('roundtrip')}events`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 3000 }, (_, i) => `message-${i}`);
    for (let i = 0; i < sent.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 500).map((value, j) => ({ key: String(i + j), value })) });
    }

    const received: string[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    await eventually('all messages consumed', 60_000, async () => (received.length >= sent.length ? true : undefined));

    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    expect(received.length).toBe(sent.length);
    expect(new Set(received)).toEqual(new Set(sent));
  });
});
