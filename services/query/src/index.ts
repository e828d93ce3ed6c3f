export { loadConfig, queryEnv, type QueryApiConfig } from './config.ts';
export { startQueryService, QUERY_API_VERSION, type QueryService } from './query-service.ts';
export { PrometheusApi, API_PATHS, type QueryApiOptions } from './prometheus-api.ts';
export { promFloat, instantData, rangeData } from './result-json.ts';
export * from './errors.ts';
