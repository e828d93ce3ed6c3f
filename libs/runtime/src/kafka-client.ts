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
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
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
