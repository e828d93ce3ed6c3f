import { createLogger, explainStartupError, onShutdown } from '@ringtail/runtime';
import { loadConfig } from './config.ts';
import { startGateway } from './gateway-service.ts';

const config = loadConfig(process.env);
const log = createLogger('gateway', config.logLevel);
try {
  const service = await startGateway(config, log);
  onShutdown(log, config.shutdownGraceMs, () => service.stop());
} catch (err) {
  log.fatal({ err: explainStartupError(err) }, 'gateway failed to start');
  process.exit(1);
}
