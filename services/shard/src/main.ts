import { createLogger, explainStartupError, onShutdown } from '@ringtail/runtime';
import { loadConfig } from './config.ts';
import { startShard } from './shard.ts';

const config = loadConfig(process.env);
const log = createLogger(`shard-${config.workerId}`, config.logLevel);
startShard(config, log).then(
  (shard) => onShutdown(log, config.shutdownGraceMs, () => shard.stop()),
  (err: unknown) => {
    log.fatal({ err: explainStartupError(err) }, 'shard worker failed to start');
    process.exit(1);
  },
);
