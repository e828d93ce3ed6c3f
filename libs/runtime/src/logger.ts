import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger of a process; components take `log.child({ component })`. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
