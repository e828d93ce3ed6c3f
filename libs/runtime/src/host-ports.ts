/** One network endpoint. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^([^\s:,]+):(\d{1,5})$/;

/**
 * Parses `host:port[,host:port...]` (spaces around entries ignored, port
 * 1–65535) — the one reader of KAFKA_BROKERS, REDIS_SENTINELS and the stack's
 * external endpoints. Throws a plain Error describing the bad entry; callers
 * prefix the setting's name.
 */
export function parseHostPorts(text: string): HostPort[] {
  return text.split(',').map((raw) => {
    const part = raw.trim();
    const m = HOST_PORT.exec(part);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65_535) throw new Error(`expected host:port[,host:port...] with a port in 1-65535, got '${part}'`);
    return { host: m[1]!, port };
  });
}

/** `host:port`, as Kafka clients take brokers. */
export function formatHostPort(h: HostPort): string {
  return `${h.host}:${h.port}`;
}
