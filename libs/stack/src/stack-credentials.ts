import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  parseEnv,
  redisSecurityEnv,
  redisSecurityFrom,
  type KafkaSecurity,
  type RedisSecurity,
} from '@ringtail/runtime';
import { StackError } from './errors.ts';
import { OPENSSL, requireTools } from './prerequisites.ts';

/** The users the secured stack creates: one per server kind, each with its own password. */
export const STACK_USERS = { kafka: 'ringtail', redis: 'ringtail', sentinel: 'ringtail-sentinel' } as const;

const CERT_DAYS = 825;
const SECRET_MODE = 0o600;

/**
 * The secured local stack's certificates and passwords, made once with
 * `openssl` under `<dir>` and reused by later starts: a CA, one server
 * certificate for 127.0.0.1/localhost (every Redis node, Sentinel and the
 * broker), one client certificate, and a random password per server kind.
 * Files holding a key or a password are readable by their owner only.
 */
export class StackCredentials {
  constructor(readonly dir: string) {}

  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }
  get serverCertFile(): string {
    return join(this.dir, 'server.crt');
  }
  get serverKeyFile(): string {
    return join(this.dir, 'server.key');
  }
  /** Key then certificate in one PEM file: Kafka's PEM keystore. */
  get kafkaKeystoreFile(): string {
    return join(this.dir, 'kafka-keystore.pem');
  }
  get clientCertFile(): string {
    return join(this.dir, 'client.crt');
  }
  get clientKeyFile(): string {
    return join(this.dir, 'client.key');
  }
  passwordFile(kind: keyof typeof STACK_USERS): string {
    return join(this.dir, `${kind}-password`);
  }

  /** Makes whatever is missing; idempotent. */
  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const kind of Object.keys(STACK_USERS) as (keyof typeof STACK_USERS)[]) {
      const file = this.passwordFile(kind);
      // base64url: no character that needs quoting in redis.conf, a JAAS line or a shell.
      if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: SECRET_MODE });
    }
    if (existsSync(this.kafkaKeystoreFile)) return;
    requireTools([OPENSSL]);
    const caKey = join(this.dir, 'ca.key');
    this.openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', this.caFile, '-days', String(CERT_DAYS), '-subj', '/CN=Ringtail local stack CA']);
    this.issue('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n', caKey);
    this.issue('client', '/CN=ringtail-client', 'extendedKeyUsage=clientAuth\n', caKey);
    for (const key of [caKey, this.serverKeyFile, this.clientKeyFile]) chmodSync(key, SECRET_MODE);
    writeFileSync(this.kafkaKeystoreFile, readFileSync(this.serverKeyFile, 'utf8') + readFileSync(this.serverCertFile, 'utf8'), { mode: SECRET_MODE });
  }

  password(kind: keyof typeof STACK_USERS): string {
    return readFileSync(this.passwordFile(kind), 'utf8').trim();
  }

  /**
   * The settings a Ringtail process needs to reach the secured stack: users, the
   * password *files* and the CA, never a password itself (so printing them is safe).
   */
  clientEnv(): Record<string, string> {
    return {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: STACK_USERS.kafka,
      KAFKA_SASL_PASSWORD_FILE: this.passwordFile('kafka'),
      KAFKA_TLS_CA_FILE: this.caFile,
      REDIS_USERNAME: STACK_USERS.redis,
      REDIS_PASSWORD_FILE: this.passwordFile('redis'),
      REDIS_SENTINEL_USERNAME: STACK_USERS.sentinel,
      REDIS_SENTINEL_PASSWORD_FILE: this.passwordFile('sentinel'),
      REDIS_TLS_CA_FILE: this.caFile,
    };
  }

  private issue(name: 'server' | 'client', subject: string, extensions: string, caKey: string): void {
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, extensions);
    this.openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
    this.openssl(['x509', '-req', '-in', csr, '-CA', this.caFile, '-CAkey', caKey, '-CAcreateserial', '-out', join(this.dir, `${name}.crt`), '-days', String(CERT_DAYS), '-extfile', ext]);
    rmSync(csr);
    rmSync(ext);
  }

  private openssl(args: readonly string[]): void {
    const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new StackError('STACK_START_FAILED', `openssl ${args[0]} failed making the secured stack's certificates in ${this.dir}: ${r.stderr || r.stdout}`);
  }
}

/** The client security the stack's own probes use: clientEnv read with the services' parsers. */
export function stackClientSecurity(clientEnv: Record<string, string>): { kafka: KafkaSecurity; redis: RedisSecurity } {
  return {
    kafka: kafkaSecurityFrom(parseEnv(z.object(kafkaSecurityEnv), clientEnv)),
    redis: redisSecurityFrom(parseEnv(z.object(redisSecurityEnv), clientEnv)),
  };
}
