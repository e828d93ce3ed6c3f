import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import { parseHostPorts } from './host-ports.ts';
import type { Logger } from './logger.ts';
import { retryStablePartitioner } from './retry-stable-partitioner.ts';
import { ConnectionRefusedError } from './security-errors.ts';
import type { KafkaSecurity } from './security-env.ts';
import { kafkaSaslHandshake, PROBE_TIMEOUT_MS, type KafkaListenerAnswer } from './security-probe.ts';

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

/** Timeouts plus the credentials and TLS (kafkaSecurityFrom); no security means the open loopback stack. */
export type KafkaClientOptions = KafkaTimeouts & { readonly security?: KafkaSecurity };

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
export function createKafka(brokers: readonly string[], clientId: string, log: Logger, options: KafkaClientOptions = {}): Kafka {
  const { security, ...timeouts } = options;
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
    ...kafkaSecurityOptions(security),
    ...timeouts,
  });
}

/** The kafkajs `ssl` and `sasl` options of `security`. */
export function kafkaSecurityOptions(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!security) return {};
  const { sasl, tls } = security;
  let ssl: ConnectionOptions | undefined;
  if (tls) {
    ssl = {
      ...(tls.ca !== null ? { ca: [tls.ca] } : {}),
      ...(tls.cert !== null ? { cert: tls.cert } : {}),
      ...(tls.key !== null ? { key: tls.key.reveal() } : {}),
    };
  }
  return {
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() } as SASLOptions } : {}),
  };
}

/**
 * The refusal `err` (from connect, send or any admin call) stands for, or null.
 * kafkajs raises KafkaJSSASLAuthenticationError, not retriable, for refused
 * credentials; a failed certificate check comes as a connection error whose
 * cause carries Node's TLS error code, possibly inside the error that ended the retries.
 */
export function kafkaRefusal(err: unknown): ConnectionRefusedError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { originalError?: unknown }).originalError ?? e.cause, depth++) {
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      return new ConnectionRefusedError('kafka', ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'], `Kafka refused the credentials: ${e.message}`);
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|EPROTO/.test(code)) {
      return new ConnectionRefusedError('kafka', ['KAFKA_TLS', 'KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'], `TLS to Kafka failed: ${e.message}`);
    }
  }
  return null;
}

const KAFKA_TLS_SETTINGS = ['KAFKA_TLS', 'KAFKA_TLS_CA_FILE'];
const KAFKA_SASL_SETTINGS = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE'];

/**
 * Rejects with ConnectionRefusedError naming the settings to set when the
 * brokers' listener demands TLS or SASL that `security` lacks: such a broker
 * only closes the connection, which kafkajs would retry for a minute and then
 * report as "Closed connection". Asks the brokers in turn (a SaslHandshake,
 * plaintext or over TLS as configured; over TLS as well when plaintext was
 * dropped) and resolves once one answered in a way `security` can serve, or
 * when none answered at all (a broker down is kafkajs' to retry). Takes at most
 * a few PROBE_TIMEOUT_MS per broker.
 */
export async function checkKafkaAccess(brokers: readonly string[], security: KafkaSecurity | undefined, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const hasTls = (security?.tls ?? null) !== null;
  const hasSasl = (security?.sasl ?? null) !== null;
  for (const broker of brokers.flatMap((b) => parseHostPorts(b))) {
    let answer: KafkaListenerAnswer = await kafkaSaslHandshake(broker, hasTls, timeoutMs);
    let needsTls = false;
    if (answer.kind === 'closed' && !hasTls) {
      const overTls = await kafkaSaslHandshake(broker, true, timeoutMs);
      if (overTls.kind === 'sasl' || overTls.kind === 'no-sasl') {
        answer = overTls;
        needsTls = true;
      }
    }
    if (answer.kind === 'closed' || answer.kind === 'unreachable') continue;
    const needsSasl = answer.kind === 'sasl' && !hasSasl;
    if (!needsTls && !needsSasl) return;
    const demands = [needsTls ? 'TLS' : null, needsSasl ? `SASL (${answer.kind === 'sasl' ? answer.mechanisms.join(', ') : ''})` : null].filter(Boolean).join(' and ');
    throw new ConnectionRefusedError(
      'kafka',
      [...(needsTls ? KAFKA_TLS_SETTINGS : []), ...(needsSasl ? KAFKA_SASL_SETTINGS : [])],
      `the Kafka broker at ${broker.host}:${broker.port} requires ${demands}, which this client is not configured for`,
    );
  }
}

/**
 * A connected idempotent producer with one request in flight (records keep
 * their order per partition) that never creates topics, and whose retries put
 * a keyless message back on the partition it was first sent to, so the broker
 * can drop the copy (retryStablePartitioner). kafkajs marks its
 * idempotent producer experimental: after a failed send, disconnect it and
 * connect a new one rather than reuse it.
 */
export async function connectIdempotentProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: retryStablePartitioner });
  await producer.connect();
  return producer;
}
