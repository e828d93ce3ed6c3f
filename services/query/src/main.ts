import { createLogger, explainStartupError, onShutdown } from '@ringtail/runtime';
import { loadConfig } from './config.ts';
import { startQueryService } from './query-service.ts';

const config = loadConfig(process.env);
const log = createLogger('query', config.logLevel);
try {
  const service = await startQueryService(config, log);
  onShutdown(log, config.shutdownGraceMs, () => service.stop());
} catch (err) {
  log.fatal({ err: explainStartupError(err) }, 'query API failed to start');
  process.exit(1);
}
