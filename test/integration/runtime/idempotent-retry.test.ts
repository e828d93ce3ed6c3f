import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners, type Admin, type ISocketFactory } from 'kafkajs';
import { connectIdempotentProducer } from '@ringtail/runtime';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';

const PRODUCE_API_KEY = 0;
const PARTITIONS = 4;
// Fewer messages than partitions: the default partitioner's retry then lands them all on partitions they never reached, where the broker has no sequence to compare with.
const MESSAGES = 2;
const REQUEST_TIMEOUT_MS = 1_000;
// Past the request timeout: the broker appended the batch and answered, but the answer stays unread until the client has given up on it.
const ANSWER_HELD_MS = 1_500;

/**
 * Real sockets to the real broker, except that after the first produce request
 * the client reads nothing for a while: the broker has appended the batch, the
 * client's request times out and it retries — what a broker that stalls, or is
 * killed, between append and answer looks like from the client.
 */
function holdFirstProduceAnswer(): { factory: ISocketFactory; holds: () => number } {
  let holds = 0;
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket: Socket = connect({ host, port }, onConnect);
    const write = socket.write.bind(socket) as (chunk: Buffer, encoding: BufferEncoding) => boolean;
    socket.write = ((chunk: Buffer, encoding: BufferEncoding) => {
      const isProduce = Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE_API_KEY;
      if (isProduce && holds === 0) {
        holds += 1;
        socket.pause();
        void sleep(ANSWER_HELD_MS).then(() => socket.resume());
      }
      return write(chunk, encoding);
    }) as Socket['write'];
    return socket;
  };
  return { factory, holds: () => holds };
}

async function messagesIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

describe('an idempotent producer whose request reached the log but whose answer came too late', () => {
  const { kafkaBrokers } = stackEndpoints();
  const plain = new Kafka({ clientId: 'idempotent-retry-test', brokers: [...kafkaBrokers], logLevel: logLevel.NOTHING });
  const admin = plain.admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  async function sendWithHeldAnswer(topic: string, useRingtailProducer: boolean): Promise<number> {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    const held = holdFirstProduceAnswer();
    const kafka = new Kafka({ clientId: 'idempotent-retry-test', brokers: [...kafkaBrokers], logLevel: logLevel.NOTHING, socketFactory: held.factory, requestTimeout: REQUEST_TIMEOUT_MS, retry: { retries: 5, initialRetryTime: 100 } });
    const producer = useRingtailProducer
      ? await connectIdempotentProducer(kafka)
      : kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    if (!useRingtailProducer) await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: MESSAGES }, (_, i) => ({ value: `m${i}` })) });
    } finally {
      await producer.disconnect();
    }
    expect(held.holds(), 'the fault was injected').toBe(1);
    return messagesIn(admin, topic);
  }

  it('writes each keyless message once when its retry goes back to the same partitions', async () => {
    expect(await sendWithHeldAnswer(`${randomNamespace('retry')}stable`, true)).toBe(MESSAGES);
  });

  it("writes keyless messages twice with kafkajs' default partitioner, which moves them on the retry (why Ringtail replaces it)", async () => {
    expect(await sendWithHeldAnswer(`${randomNamespace('retry')}default`, false)).toBe(2 * MESSAGES);
  });
});
