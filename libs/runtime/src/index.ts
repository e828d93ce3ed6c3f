export { createLogger, REDACTED_LOG_PATHS, type Logger } from './logger.ts';
export { ConfigError, connectionEnv, consumerEnv, consumerTimingsRule, hostPortList, latenessRule, latenessSetting, parseEnv, resolutionsSetting, sampleLimitsEnv, sampleLimitsFrom, type ConnectionEnv } from './env.ts';
export { checkRedisAccess, createSentinelClient, nodeSecurityOptions, redisRefusal, sentinelPrimary, sentinelSecurityOptions, type SentinelTarget } from './redis-client.ts';
export { checkKafkaAccess, connectIdempotentProducer, createKafka, kafkaRefusal, kafkaSecurityOptions, type KafkaClientOptions, type KafkaTimeouts } from './kafka-client.ts';
export { retryStablePartitioner } from './retry-stable-partitioner.ts';
export { Secret } from './secret.ts';
export { ConnectionRefusedError } from './security-errors.ts';
export { explainStartupError } from './startup-error.ts';
export {
  bearerTokensSetting,
  kafkaSecurityEnv,
  kafkaSecurityFrom,
  httpAuthEnv,
  httpAuthFrom,
  OPEN_HTTP,
  OPEN_KAFKA,
  OPEN_REDIS,
  optionalText,
  redisSecurityEnv,
  redisSecurityFrom,
  type HttpAuth,
  type HttpAuthSettings,
  type KafkaSecurity,
  type KafkaSecuritySettings,
  type RedisCredentials,
  type RedisSecurity,
  type RedisSecuritySettings,
  type SaslMechanism,
  type TlsMaterial,
} from './security-env.ts';
export { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS_MS, MetricsRegistry } from './metrics.ts';
export { metricValue, parseExposition, scrapeMetrics, type ExpositionSample } from './exposition.ts';
export { startOpsServer, type OpsServer, type OpsServerOptions, type Route } from './ops-server.ts';
export { onShutdown } from './shutdown.ts';
export { CrashSupervisor, SUPERVISED_STATES, type CrashPolicy, type CrashSupervisorOptions, type SupervisedState } from './crash-supervisor.ts';
export { formatHostPort, parseHostPorts, type HostPort } from './host-ports.ts';
export { eventually, WaitTimeoutError } from './eventually.ts';
export { defineLuaCommands, scriptKeyCount } from './lua-scripts.ts';
export { ensureTopics, ensureTopicsWith, TopicLayoutError, type EnsureTopicsOptions, type TopicSpec } from './topic-setup.ts';
