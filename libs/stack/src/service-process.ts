import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import { eventually, metricValue, scrapeMetrics } from '@ringtail/runtime';

const ROOT = new URL('../../..', import.meta.url).pathname;

const METRICS_TIMEOUT_MS = 2000;

/** A free loopback port (bound and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceProcessOptions {
  /** Label for logs and errors, e.g. `shard-w0`. */
  readonly name: string;
  /** Entry file relative to the repository root, e.g. `services/shard/src/main.ts`. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** Folder for `<name>.log` (the process's pino output). */
  readonly logDir: string;
  /** Fixed ops HTTP port; a free one is picked when absent. */
  readonly httpPort?: number;
}

/**
 * One Ringtail service run as its own OS process, as in production: it can be
 * killed with SIGKILL mid-stream and started again with the same settings.
 */
/**
 * Node flags every Ringtail service runs with (here, `ringtail shard`, and the
 * Docker image's entrypoint). The services allocate short-lived objects per
 * sample and per record; with V8's default 16 MiB semi-spaces the nursery
 * fills every few milliseconds under load, and each scavenge copies whatever
 * is still in flight (a fetched batch being folded, a flush payload) and
 * pauses the event loop meanwhile. 64 MiB lets most of it die first: on the
 * alert bench (20k samples/s) shard flushes took 40% less time and
 * produce→webhook p50 fell in each of five alternated runs (services/alerter/README.md).
 * The price is up to about 100 MiB more resident memory per process.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private httpPort = 0;

  constructor(private readonly opts: ServiceProcessOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get logFile(): string {
    return join(this.opts.logDir, `${this.opts.name}.log`);
  }

  get port(): number {
    return this.httpPort;
  }

  /** True from `start` until the process exits (a paused process is still running). */
  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The OS pid while running (for RSS readings in benchmarks). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until its /readyz answers 200. */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    mkdirSync(this.opts.logDir, { recursive: true });
    this.httpPort = this.opts.httpPort ?? (await freePort());
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--import', 'tsx', join(ROOT, this.opts.entry)], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...this.opts.env, HTTP_PORT: String(this.httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    // A service must not outlive whatever started it (a test run, a benchmark, the demo).
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        process.off('exit', killOnExit);
        resolve(code);
      }),
    );
    const ready = await eventually(`${this.name} ready`, readyTimeoutMs, async () => {
      if (child.exitCode !== null) return true;
      const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`).catch(() => undefined);
      return res?.status === 200;
    }, 200).catch(() => false);
    if (child.exitCode !== null || !ready) {
      throw new StackError('STACK_START_FAILED', `${this.name} ${ready ? `exited with ${child.exitCode}` : 'did not become ready'}; see ${this.logFile}`);
    }
  }

  /** SIGKILL: no flush, no commit, no goodbye. Resolves once the process is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process freezes (no heartbeat, no flush) until `resume`, like a long GC pause or a stalled VM. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM and wait for a graceful exit; returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** The value of metric `name` (summed over the samples carrying `labels`) from /metrics, or undefined. */
  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
    // A paused (SIGSTOP) process accepts the connection but never answers: give up rather than hang.
    const samples = await scrapeMetrics(this.httpPort, METRICS_TIMEOUT_MS).catch(() => undefined);
    return samples && metricValue(samples, name, labels);
  }
}
