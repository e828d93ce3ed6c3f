import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './env.ts';
import { Secret } from './secret.ts';

// Compose files and shells often pass an unset variable as ''; that means "not set", not an empty password.
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
/** An optional non-empty text setting; '' counts as unset. */
export const optionalText = z.preprocess(unsetIfEmpty, z.string().min(1).optional());
const flag = z.preprocess(unsetIfEmpty, z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional()).transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Credentials and TLS for Kafka, for the schema of every process that talks to
 * Kafka (`.extend(kafkaSecurityEnv)`); `kafkaSecurityFrom` turns them into
 * client options. Every secret has a `*_FILE` twin for a mounted file.
 */
export const kafkaSecurityEnv = {
  KAFKA_SASL_MECHANISM: z.preprocess(unsetIfEmpty, z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional()),
  KAFKA_SASL_USERNAME: optionalText,
  KAFKA_SASL_PASSWORD: optionalText,
  KAFKA_SASL_PASSWORD_FILE: optionalText,
  // TLS to the brokers; on by itself once any KAFKA_TLS_*_FILE is set. Without a CA file the system's CAs verify the broker.
  KAFKA_TLS: flag,
  KAFKA_TLS_CA_FILE: optionalText,
  // A client certificate, for brokers with ssl.client.auth=required.
  KAFKA_TLS_CERT_FILE: optionalText,
  KAFKA_TLS_KEY_FILE: optionalText,
};

/**
 * Credentials and TLS for Redis: the data nodes' ACL user, and separately the
 * Sentinels' (Sentinel has its own users; Redis' own `sentinel auth-user` is
 * how the Sentinels reach the data nodes). One TLS setting covers both.
 */
export const redisSecurityEnv = {
  REDIS_USERNAME: optionalText,
  REDIS_PASSWORD: optionalText,
  REDIS_PASSWORD_FILE: optionalText,
  REDIS_SENTINEL_USERNAME: optionalText,
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_SENTINEL_PASSWORD_FILE: optionalText,
  REDIS_TLS: flag,
  REDIS_TLS_CA_FILE: optionalText,
  REDIS_TLS_CERT_FILE: optionalText,
  REDIS_TLS_KEY_FILE: optionalText,
};

type Parsed<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;
export type KafkaSecuritySettings = Parsed<typeof kafkaSecurityEnv>;
export type RedisSecuritySettings = Parsed<typeof redisSecurityEnv>;

/** PEM text read from the TLS files; null fields fall back to the system's CAs or no client certificate. */
export interface TlsMaterial {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: Secret | null;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSecurity {
  readonly sasl: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: Secret } | null;
  readonly tls: TlsMaterial | null;
}

export interface RedisCredentials {
  /** Null means the `default` user (`requirepass`). */
  readonly username: string | null;
  readonly password: Secret;
}

export interface RedisSecurity {
  readonly data: RedisCredentials | null;
  readonly sentinel: RedisCredentials | null;
  readonly tls: TlsMaterial | null;
}

/** Plaintext, no credentials: the loopback quick-start stack. */
export const OPEN_KAFKA: KafkaSecurity = { sasl: null, tls: null };
export const OPEN_REDIS: RedisSecurity = { data: null, sentinel: null, tls: null };

/**
 * The Kafka client security of parsed `kafkaSecurityEnv` settings, reading the
 * files they name. Throws ConfigError naming the variable at fault; the error
 * never holds a secret's value.
 */
export function kafkaSecurityFrom(e: KafkaSecuritySettings): KafkaSecurity {
  const password = secretSetting(e.KAFKA_SASL_PASSWORD, e.KAFKA_SASL_PASSWORD_FILE, 'KAFKA_SASL_PASSWORD');
  let sasl: KafkaSecurity['sasl'] = null;
  if (e.KAFKA_SASL_MECHANISM !== undefined) {
    if (e.KAFKA_SASL_USERNAME === undefined) throw new ConfigError('KAFKA_SASL_USERNAME', `required when KAFKA_SASL_MECHANISM is set`);
    if (password === null) throw new ConfigError('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SASL_MECHANISM is set');
    sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password };
  } else if (e.KAFKA_SASL_USERNAME !== undefined || password !== null) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', 'set it (plain, scram-sha-256 or scram-sha-512) to use KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  }
  return { sasl, tls: tlsSetting('KAFKA', e.KAFKA_TLS, e.KAFKA_TLS_CA_FILE, e.KAFKA_TLS_CERT_FILE, e.KAFKA_TLS_KEY_FILE) };
}

/** The Redis client security of parsed `redisSecurityEnv` settings; see kafkaSecurityFrom. */
export function redisSecurityFrom(e: RedisSecuritySettings): RedisSecurity {
  return {
    data: credentials(e.REDIS_USERNAME, secretSetting(e.REDIS_PASSWORD, e.REDIS_PASSWORD_FILE, 'REDIS_PASSWORD'), 'REDIS'),
    sentinel: credentials(
      e.REDIS_SENTINEL_USERNAME,
      secretSetting(e.REDIS_SENTINEL_PASSWORD, e.REDIS_SENTINEL_PASSWORD_FILE, 'REDIS_SENTINEL_PASSWORD'),
      'REDIS_SENTINEL',
    ),
    tls: tlsSetting('REDIS', e.REDIS_TLS, e.REDIS_TLS_CA_FILE, e.REDIS_TLS_CERT_FILE, e.REDIS_TLS_KEY_FILE),
  };
}

function credentials(username: string | undefined, password: Secret | null, prefix: 'REDIS' | 'REDIS_SENTINEL'): RedisCredentials | null {
  if (password === null) {
    if (username !== undefined) throw new ConfigError(`${prefix}_PASSWORD`, `${prefix}_PASSWORD or ${prefix}_PASSWORD_FILE is required when ${prefix}_USERNAME is set`);
    return null;
  }
  return { username: username ?? null, password };
}

/** A secret from `VAR` or the file `VAR_FILE` names (one trailing newline dropped), null when neither is set. */
function secretSetting(value: string | undefined, file: string | undefined, variable: string): Secret | null {
  if (value !== undefined && file !== undefined) throw new ConfigError(variable, `set ${variable} or ${variable}_FILE, not both`);
  if (value !== undefined) return new Secret(value);
  if (file === undefined) return null;
  const text = readSettingFile(file, `${variable}_FILE`).replace(/\r?\n$/, '');
  if (text === '') throw new ConfigError(`${variable}_FILE`, `${file} is empty`);
  return new Secret(text);
}

function tlsSetting(prefix: 'KAFKA' | 'REDIS', enabled: boolean, caFile?: string, certFile?: string, keyFile?: string): TlsMaterial | null {
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? `${prefix}_TLS_CERT_FILE` : `${prefix}_TLS_KEY_FILE`, `${prefix}_TLS_CERT_FILE and ${prefix}_TLS_KEY_FILE go together`);
  }
  if (!enabled && caFile === undefined && certFile === undefined) return null;
  return {
    ca: caFile === undefined ? null : readSettingFile(caFile, `${prefix}_TLS_CA_FILE`),
    cert: certFile === undefined ? null : readSettingFile(certFile, `${prefix}_TLS_CERT_FILE`),
    key: keyFile === undefined ? null : new Secret(readSettingFile(keyFile, `${prefix}_TLS_KEY_FILE`)),
  };
}

function readSettingFile(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Bearer tokens for a process' HTTP routes beyond /healthz, /readyz and /metrics
 * (the alerter's API, a shard worker's /ring); `HTTP_AUTH_OPS_ENDPOINTS=true`
 * puts those three behind the tokens too.
 */
export const httpAuthEnv = {
  // Space- or comma-separated; any one of them admits a request.
  HTTP_BEARER_TOKENS: optionalText,
  HTTP_BEARER_TOKENS_FILE: optionalText,
  HTTP_AUTH_OPS_ENDPOINTS: flag,
};
export type HttpAuthSettings = Parsed<typeof httpAuthEnv>;

export interface HttpAuth {
  /** Empty: every route is open. */
  readonly tokens: readonly Secret[];
  /** /healthz, /readyz and /metrics need a token as well. */
  readonly opsEndpoints: boolean;
}

export const OPEN_HTTP: HttpAuth = { tokens: [], opsEndpoints: false };

/** The HttpAuth of parsed `httpAuthEnv` settings; throws ConfigError naming the variable. */
export function httpAuthFrom(e: HttpAuthSettings): HttpAuth {
  const tokens = bearerTokensSetting(e.HTTP_BEARER_TOKENS, e.HTTP_BEARER_TOKENS_FILE, 'HTTP_BEARER_TOKENS');
  if (e.HTTP_AUTH_OPS_ENDPOINTS && tokens.length === 0) throw new ConfigError('HTTP_AUTH_OPS_ENDPOINTS', 'needs HTTP_BEARER_TOKENS or HTTP_BEARER_TOKENS_FILE');
  return { tokens, opsEndpoints: e.HTTP_AUTH_OPS_ENDPOINTS };
}

/**
 * Bearer tokens from `variable` or the file `<variable>_FILE` names:
 * space-, comma- or newline-separated, empty when neither is set. Throws
 * ConfigError naming the variable when both are set or the file cannot be read.
 */
export function bearerTokensSetting(value: string | undefined, file: string | undefined, variable: string): Secret[] {
  const text = secretSetting(value, file, variable);
  return text === null ? [] : text.reveal().split(/[\s,]+/).filter(Boolean).map((t) => new Secret(t));
}
