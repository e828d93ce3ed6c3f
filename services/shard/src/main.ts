import { createLogger, onShutdown } from '@ringtail/runtime';
import { loadConfig } from './config.ts';
import { startShard } from './shard.ts';

const config = loadConfig(process.env);
const log = createLogger(`shard-${config.SHARD_WORKER_ID}`, config.LOG_LEVEL);
startShard(config, log).then(
  (shard) => onShutdown(log, config.SHUTDOWN_GRACE_MS, () => shard.stop()),
  (err: unknown) => {
    log.fatal({ err }, 'shard worker failed to start');
    process.exit(1);
  },
);
