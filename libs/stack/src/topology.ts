import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseHostPorts, type HostPort } from '@ringtail/runtime';
import { StackError } from './errors.ts';
import { StackCredentials } from './stack-credentials.ts';

/** Where the stack listens and keeps its files. Every port is on 127.0.0.1. */
export interface StackTopology {
  readonly cacheDir: string;
  /** Where this stack's processes keep config, data and logs: `stack/` open, `stack-secure/` secured. */
  readonly stackDir: string;
  /** Secured: Redis ACL users and TLS everywhere, Kafka SASL_SCRAM over TLS (RINGTAIL_STACK_SECURE). */
  readonly secure: boolean;
  readonly kafkaVersion: string;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  /** Heap of the broker JVM; small, because the broker shares 2 cores with everything else. */
  readonly kafkaHeapMb: number;
  readonly redisPrimaryPort: number;
  readonly redisReplicaPort: number;
  readonly sentinelPorts: readonly [number, number, number];
  readonly sentinelMasterName: string;
}

/** What clients need to reach a running stack, whatever mode started it. */
export interface StackEndpoints {
  readonly kafkaBrokers: readonly string[];
  readonly sentinels: readonly { host: string; port: number }[];
  readonly sentinelMasterName: string;
  /**
   * Settings a Ringtail process needs besides the addresses: for a secured stack the
   * users, password files and CA (KAFKA_SASL_*, REDIS_*), never a password itself; empty when open.
   */
  readonly clientEnv: Readonly<Record<string, string>>;
}

export type StackMode = 'auto' | 'local' | 'docker' | 'external';

const port = z.coerce.number().int().min(1024).max(65535);

const stackEnvSchema = z.object({
  RINGTAIL_STACK_MODE: z.enum(['auto', 'local', 'docker', 'external']).default('auto'),
  RINGTAIL_CACHE_DIR: z.string().min(1).default(join(homedir(), '.cache', 'ringtail')),
  // 3.9 is the last line with every protocol version kafkajs 2.2.4 speaks; 4.x dropped some.
  RINGTAIL_KAFKA_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/).default('3.9.1'),
  RINGTAIL_KAFKA_PORT: port.default(19092),
  RINGTAIL_KAFKA_HEAP_MB: z.coerce.number().int().min(128).max(8192).default(512),
  RINGTAIL_REDIS_PORT: port.default(16390),
  RINGTAIL_SENTINEL_PORT: port.default(26390),
  RINGTAIL_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('ringtail'),
  // The secured stack (`ringtail stack up --secure`): its own folder, so an open and a secured stack can sit side by side on different ports.
  RINGTAIL_STACK_SECURE: z.enum(['true', 'false', '1', '0', '']).default('false').transform((v) => v === 'true' || v === '1'),
  // The secured stack's base ports, used instead of the three above: `stack up --secure`,
  // `stack down --secure` and the security tests then all name one stack, apart from the open one.
  RINGTAIL_SECURE_KAFKA_PORT: port.default(19392),
  RINGTAIL_SECURE_REDIS_PORT: port.default(16490),
  RINGTAIL_SECURE_SENTINEL_PORT: port.default(26490),
  // Only for the external mode: where the existing Kafka and Sentinels are.
  KAFKA_BROKERS: z.string().optional(),
  REDIS_SENTINELS: z.string().optional(),
});

export interface StackSettings {
  readonly mode: StackMode;
  readonly topology: StackTopology;
  readonly external: { kafkaBrokers?: string; sentinels?: string };
}

/** Reads the stack settings from the environment; throws StackError naming the variable. */
export function loadStackSettings(env: NodeJS.ProcessEnv): StackSettings {
  const parsed = stackEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StackError(
      'STACK_CONFIG_INVALID',
      `invalid ${String(issue?.path.join('.'))}: ${issue?.message ?? 'invalid value'}`,
    );
  }
  const e = parsed.data;
  const [kafkaPort, redisPort, sentinelPort] = e.RINGTAIL_STACK_SECURE
    ? [e.RINGTAIL_SECURE_KAFKA_PORT, e.RINGTAIL_SECURE_REDIS_PORT, e.RINGTAIL_SECURE_SENTINEL_PORT]
    : [e.RINGTAIL_KAFKA_PORT, e.RINGTAIL_REDIS_PORT, e.RINGTAIL_SENTINEL_PORT];
  return {
    mode: e.RINGTAIL_STACK_MODE,
    topology: {
      cacheDir: e.RINGTAIL_CACHE_DIR,
      stackDir: join(e.RINGTAIL_CACHE_DIR, e.RINGTAIL_STACK_SECURE ? 'stack-secure' : 'stack'),
      secure: e.RINGTAIL_STACK_SECURE,
      kafkaVersion: e.RINGTAIL_KAFKA_VERSION,
      kafkaPort,
      kafkaControllerPort: kafkaPort + 1,
      kafkaHeapMb: e.RINGTAIL_KAFKA_HEAP_MB,
      redisPrimaryPort: redisPort,
      redisReplicaPort: redisPort + 1,
      sentinelPorts: [sentinelPort, sentinelPort + 1, sentinelPort + 2],
      sentinelMasterName: e.RINGTAIL_SENTINEL_MASTER,
    },
    external: { kafkaBrokers: e.KAFKA_BROKERS, sentinels: e.REDIS_SENTINELS },
  };
}

/** The variables that set this stack's base ports: `RINGTAIL_*_PORT` open, `RINGTAIL_SECURE_*_PORT` secured. */
export function portVariablesOf(t: StackTopology): { readonly kafka: string; readonly redis: string; readonly sentinel: string } {
  const prefix = t.secure ? 'RINGTAIL_SECURE_' : 'RINGTAIL_';
  return { kafka: `${prefix}KAFKA_PORT`, redis: `${prefix}REDIS_PORT`, sentinel: `${prefix}SENTINEL_PORT` };
}

/** Endpoints of a stack started by this launcher (local or docker: same ports). */
export function endpointsOf(t: StackTopology): StackEndpoints {
  return {
    kafkaBrokers: [`127.0.0.1:${t.kafkaPort}`],
    sentinels: t.sentinelPorts.map((p) => ({ host: '127.0.0.1', port: p })),
    sentinelMasterName: t.sentinelMasterName,
    clientEnv: t.secure ? stackCredentialsOf(t).clientEnv() : {},
  };
}

/** The certificates and passwords of a secured stack (made by `ensure()` at stack up). */
export function stackCredentialsOf(t: StackTopology): StackCredentials {
  return new StackCredentials(join(t.stackDir, 'secrets'));
}

/** Parses `host:port,host:port` with the one parser; throws StackError naming `variable`. */
export function hostPortsSetting(value: string, variable: string): HostPort[] {
  try {
    return parseHostPorts(value);
  } catch (err) {
    throw new StackError('STACK_CONFIG_INVALID', `${variable}: ${(err as Error).message}`);
  }
}
