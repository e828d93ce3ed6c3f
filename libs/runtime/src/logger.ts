import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Config and error paths that can hold a secret. Secrets travel as `Secret`
 * (which prints as `[redacted]`), so these are the second line: a password or
 * token put in a log object by hand, and ioredis' errors, whose `command.args`
 * hold the arguments of the failed command (AUTH's are the password).
 */
export const REDACTED_LOG_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  '*.*.*.*.password',
  'sasl',
  '*.sasl',
  '*.tls.key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'bearerTokens',
  '*.bearerTokens',
  'webhookSecrets',
  '*.webhookSecrets',
  'err.command.args',
  'err.cause.command.args',
  '*.command.args',
];

/** The one root logger of a process; components take `log.child({ component })`. `destination` defaults to stdout. */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options = { name: service, level, base: { service, pid: process.pid }, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
