import { spawnSync } from 'node:child_process';
import { StackError } from './errors.ts';

interface Tool {
  readonly command: string;
  readonly versionArgs: readonly string[];
  readonly install: string;
}

export const JAVA: Tool = {
  command: 'java',
  versionArgs: ['-version'],
  install: 'install a Java 17+ runtime (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless)',
};
export const MAVEN: Tool = {
  command: 'mvn',
  versionArgs: ['-v'],
  install: 'install Apache Maven, used once to fetch the Kafka jars (Debian/Ubuntu: sudo apt-get install -y maven)',
};
export const REDIS_SERVER: Tool = {
  command: 'redis-server',
  versionArgs: ['--version'],
  install: 'install Redis 7+, which also provides Sentinel (Debian/Ubuntu: sudo apt-get install -y redis-server)',
};

/** Throws STACK_PREREQUISITE_MISSING naming every missing tool and how to install it. */
export function requireTools(tools: readonly Tool[]): void {
  const missing = tools.filter((t) => {
    const r = spawnSync(t.command, t.versionArgs, { stdio: 'ignore', timeout: 20_000 });
    return r.error !== undefined || r.status !== 0;
  });
  if (missing.length > 0) {
    const lines = missing.map((t) => `  - '${t.command}' not found on PATH: ${t.install}`);
    throw new StackError(
      'STACK_PREREQUISITE_MISSING',
      `the local stack needs tools this machine lacks:\n${lines.join('\n')}\n` +
        'or run with RINGTAIL_STACK_MODE=external and KAFKA_BROKERS / REDIS_SENTINELS pointing at existing servers',
    );
  }
}
export const OPENSSL: Tool = {
  command: 'openssl',
  versionArgs: ['version'],
  install: 'install OpenSSL, which makes the secured stack\'s certificates (Debian/Ubuntu: sudo apt-get install -y openssl)',
};
