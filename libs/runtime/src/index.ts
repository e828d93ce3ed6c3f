export { createLogger, type Logger } from './logger.ts';
export { ConfigError, connectionEnv, hostPortList, parseEnv, resolutionsSetting, sampleLimitsEnv, sampleLimitsFrom, type ConnectionEnv } from './env.ts';
export { createSentinelClient, type SentinelTarget } from './redis-client.ts';
export { connectIdempotentProducer, createKafka, type KafkaTimeouts } from './kafka-client.ts';
export { Counter, Gauge, Histogram, LATENCY_BUCKETS_MS, MetricsRegistry } from './metrics.ts';
export { startOpsServer, type OpsServer, type OpsServerOptions, type Route } from './ops-server.ts';
export { onShutdown } from './shutdown.ts';
export { formatHostPort, parseHostPorts, type HostPort } from './host-ports.ts';
export { eventually, WaitTimeoutError } from './eventually.ts';
