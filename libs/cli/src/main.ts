import { explainStartupError } from '@ringtail/runtime';
import { StackError } from '@ringtail/stack';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.ts';
import type { Command } from './command.ts';
import { stackCommand } from './commands/stack.ts';

const commands: Record<string, () => Promise<Command>> = {
  stack: async () => stackCommand,
  produce: async () => (await import('./commands/produce.ts')).produceCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  query: async () => (await import('./commands/query.ts')).queryCommand,
  alerts: async () => (await import('./commands/alerts.ts')).alertsCommand,
  ring: async () => (await import('./commands/ring.ts')).ringCommand,
  shard: async () => (await import('./commands/shard.ts')).shardCommand,
};

function help(): string {
  return [
    'ringtail — consistent-hashing, sharded metric ingestion (Kafka → shard workers → Redis → alerts)',
    '',
    'usage: ringtail <command> [options]',
    '',
    'commands:',
    '  demo                     the whole pipeline on the local stack with demo traffic (npm start)',
    '  stack up|down|status     start, stop or show the local Kafka + Redis Sentinel stack',
    '  query <selector>         window aggregates from Redis: --from --to --step, a table or --json',
    '  alerts                   alerts and their states, from the alerter\'s state in Redis',
    '  ring status              the shard ring: workers, their slots, lag and last flush, unowned slots, rebalances',
    '  shard                    one more shard worker in the foreground (Ctrl-C leaves gracefully)',
    '  produce                  load generator: samples to metrics.raw at a set rate, with a record of what was acked',
    '',
    'Run `ringtail <command> --help` for a command\'s options.',
  ].join('\n');
}

/** Runs the CLI; returns the process exit code. Errors are printed once, here. */
export async function main(argv: string[]): Promise<number> {
  // Every command writes to stdout and stderr; a reader that stops early is not an error.
  exitQuietlyOnBrokenPipe(process.stdout);
  exitQuietlyOnBrokenPipe(process.stderr);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`ringtail: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (thrown) {
    const err = explainStartupError(thrown);
    if (err instanceof StackError || (err instanceof Error && 'code' in err)) {
      process.stderr.write(`ringtail ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
