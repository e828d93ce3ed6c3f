import { Kafka, logLevel, type KafkaConfig, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from './logger.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// Notices kafkajs prints on every producer start that say nothing about this process.
const KNOWN_NOTICES = [/switched default partitioner/, /Limiting retries for the idempotent producer/];

/** Settings a caller may tighten, e.g. to bound how long a produce can take. */
export type KafkaTimeouts = Pick<KafkaConfig, 'retry' | 'requestTimeout' | 'connectionTimeout'>;

/**
 * Retries of every request (and of reconnecting), tuned for a broker restart:
 * steps capped at 1 s, so a client notices within about a second that the broker
 * answers again (5 s steps could sleep through it); and about a minute of them
 * before a request fails. A consumer whose retries run out crashes, and kafkajs
 * restarts it as a *new* group member: the coordinator then holds the rebalance
 * until the old member's session times out (ingest's 30 s), which was most of the 19-23 s
 * pause after a broker restart. Keeping the member through an outage of the
 * length of a broker restart avoids that.
 */
const KAFKA_RETRY = { initialRetryTime: 100, maxRetryTime: 1000, retries: 60 };

/** A kafkajs client whose own logs go to the process's pino logger. */
export function createKafka(brokers: readonly string[], clientId: string, log: Logger, timeouts: KafkaTimeouts = {}): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const notice = KNOWN_NOTICES.some((re) => re.test(String(message)));
        kafkaLog[notice ? 'debug' : (LEVELS[level] ?? 'info')](rest, message);
      },
    retry: KAFKA_RETRY,
    ...timeouts,
  });
}

/**
 * A connected idempotent producer with one request in flight (records keep
 * their order per partition) that never creates topics. kafkajs marks its
 * idempotent producer experimental: after a failed send, disconnect it and
 * connect a new one rather than reuse it.
 */
export async function connectIdempotentProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}
