import { createLogger, explainStartupError, onShutdown } from '@ringtail/runtime';
import { loadConfig } from './config.ts';
import { startIngest } from './ingest-service.ts';

const config = loadConfig(process.env);
const log = createLogger('ingest', config.logLevel);
try {
  const service = await startIngest(config, log);
  onShutdown(log, config.shutdownGraceMs, () => service.stop());
} catch (err) {
  log.fatal({ err: explainStartupError(err) }, 'ingest failed to start');
  process.exit(1);
}
