import { createLogger, explainStartupError, onShutdown } from '@ringtail/runtime';
import { startAlerter } from './alerter.ts';
import { loadConfig } from './config.ts';

const config = loadConfig(process.env);
const log = createLogger('alerter', config.logLevel);
try {
  const alerter = await startAlerter(config, log);
  process.on('SIGHUP', () => {
    log.info({ file: config.rulesFile }, 'SIGHUP: reloading rules');
    alerter.reload();
  });
  onShutdown(log, config.shutdownGraceMs, () => alerter.stop());
} catch (err) {
  log.fatal({ err: explainStartupError(err) }, 'alerter failed to start');
  process.exit(1);
}
