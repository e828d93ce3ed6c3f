export { startGateway, REMOTE_WRITE_PATH, OTLP_METRICS_PATH, type GatewayService } from './gateway-service.ts';
export { loadConfig, gatewayEnv, type GatewayConfig } from './config.ts';
export { convertWriteRequest, isStaleMarker } from './domain/remote-write-conversion.ts';
export { convertExportRequest } from './domain/otlp-conversion.ts';
export { prometheusMetricName, prometheusLabelName, unitSuffix } from './domain/otlp-names.ts';
export { judgeCandidates, packRawMessages } from './domain/request-samples.ts';
export { snappyDeclaredLength, unsnappy } from './body-codecs.ts';
export { loadProtocolSchemas, type ProtocolSchemas } from './protocol-schemas.ts';
export * from './errors.ts';
