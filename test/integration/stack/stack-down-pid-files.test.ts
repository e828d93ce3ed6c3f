import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/fixtures.ts';

const CLI = new URL('../../../libs/cli/bin/ringtail.mjs', import.meta.url).pathname;
const run = promisify(execFile);

// Loopback ports of this file alone. The Redis started here is the secured stack's
// replica (redis-b, base port +1) as a stack started on base port 16700 would run it.
const STARTED_REDIS_BASE_PORT = 16700;
const REPLICA_PORT = STARTED_REDIS_BASE_PORT + 1;
// The base port a mistaken `stack down --secure` is given instead.
const OTHER_REDIS_BASE_PORT = 16710;
// Nothing listens on these; `stack down` only reads their (absent) pid files.
const SENTINEL_BASE_PORT = 16720;
const KAFKA_PORT = 16730;
const STOP_TIMEOUT_MS = 10_000;

type CliResult = { code: number; stdout: string; stderr: string };

/** `ringtail stack <action> --secure` on this file's cache folder, with `redisBasePort` as the secured Redis base port. */
async function stackSecure(action: 'down' | 'status', cacheDir: string, redisBasePort: number): Promise<CliResult> {
  const env = {
    ...process.env,
    RINGTAIL_STACK_MODE: 'local',
    RINGTAIL_CACHE_DIR: cacheDir,
    RINGTAIL_SECURE_KAFKA_PORT: String(KAFKA_PORT),
    RINGTAIL_SECURE_REDIS_PORT: String(redisBasePort),
    RINGTAIL_SECURE_SENTINEL_PORT: String(SENTINEL_BASE_PORT),
  };
  return run(process.execPath, [CLI, 'stack', action, '--secure'], { env, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: CliResult) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '').join(' ');
  } catch {
    return '';
  }
}

describe('ringtail stack status, down and the pid files of the secured stack', () => {
  let cacheDir: string;
  let replicaPidFile: string;
  let primaryPidFile: string;
  let replica: ChildProcess;
  let replicaPid: number;

  beforeAll(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'ringtail-pid-files-'));
    const redisDir = join(cacheDir, 'stack-secure', 'redis');
    replicaPidFile = join(redisDir, 'redis-b', 'server.pid');
    primaryPidFile = join(redisDir, 'redis-a', 'server.pid');
    mkdirSync(join(redisDir, 'redis-b'), { recursive: true });
    mkdirSync(join(redisDir, 'redis-a'), { recursive: true });
    replica = spawn('redis-server', ['--port', String(REPLICA_PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', join(redisDir, 'redis-b')], { stdio: 'ignore' });
    replicaPid = replica.pid!;
    writeFileSync(replicaPidFile, `${replicaPid}\n`);
    // Redis sets its title ("redis-server 127.0.0.1:<port>") once it listens.
    await eventually('redis-server to take its title', 10_000, () => cmdlineOf(replicaPid).includes(`127.0.0.1:${REPLICA_PORT}`));
    // A pid file left by a primary that has since died: its pid has exited.
    const gone = spawnSync('true');
    writeFileSync(primaryPidFile, `${gone.pid}\n`);
  });

  afterAll(async () => {
    if (replica && replica.exitCode === null && replica.signalCode === null) {
      const exited = new Promise((resolve) => replica.once('exit', resolve));
      replica.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
    }
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('reports a Redis serving another port as a mismatch, not as stopped, and exits 3', async () => {
    const r = await stackSecure('status', cacheDir, OTHER_REDIS_BASE_PORT);

    expect(r.code, r.stdout + r.stderr).toBe(3);
    const rows = new Map(r.stdout.trim().split('\n').map((line) => [line.split(/\s+/)[0]!, line.split(/\s+/)[1]]));
    expect(rows.get('redis-b')).toBe('mismatch');
    expect(rows.get('redis-a')).toBe('stopped');
    expect(r.stderr).toContain(`redis-b: ${replicaPidFile} names pid ${replicaPid}`);
    // Reading the state never touches the files.
    expect(readFileSync(replicaPidFile, 'utf8').trim()).toBe(String(replicaPid));
    expect(existsSync(primaryPidFile)).toBe(true);
  });

  it('keeps the pid file of a Redis serving another port, exits 1 and names the setting that stops it', async () => {
    const r = await stackSecure('down', cacheDir, OTHER_REDIS_BASE_PORT);

    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toContain('stack down');
    expect(r.stderr).toContain(`redis-b: ${replicaPidFile} names pid ${replicaPid}`);
    expect(r.stderr).toContain(`whose command line is "redis-server 127.0.0.1:${REPLICA_PORT}"; expected one with "127.0.0.1:${OTHER_REDIS_BASE_PORT + 1}"`);
    expect(r.stderr).toContain(`RINGTAIL_SECURE_REDIS_PORT=${STARTED_REDIS_BASE_PORT} npx ringtail stack down --secure`);
    expect(readFileSync(replicaPidFile, 'utf8').trim()).toBe(String(replicaPid));
    expect(replica.exitCode).toBeNull();
    // The dead primary's file still goes, as before.
    expect(existsSync(primaryPidFile)).toBe(false);
  });

  it('stops that Redis and clears its pid file when given the port it was started with', async () => {
    const r = await stackSecure('down', cacheDir, STARTED_REDIS_BASE_PORT);

    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('stack down (local)');
    expect(existsSync(replicaPidFile)).toBe(false);
    await eventually('the replica to exit', STOP_TIMEOUT_MS, () => replica.exitCode !== null || replica.signalCode !== null);
  });
});
