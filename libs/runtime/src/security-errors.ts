/**
 * A Kafka broker, Redis node or Sentinel refused this client's credentials or
 * TLS: retrying cannot help, so the process reports it and stops. `settings`
 * names the environment variables that decide what the client presents; the
 * message never holds a secret's value.
 */
export class ConnectionRefusedError extends Error {
  override readonly name = 'ConnectionRefusedError';
  readonly code = 'CONNECTION_REFUSED';
  readonly retriable = false;
  constructor(
    readonly server: 'kafka' | 'redis' | 'sentinel',
    readonly settings: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (check ${settings.join(', ')})`, options);
  }
}
