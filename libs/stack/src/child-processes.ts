import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * Child processes of this one (Prometheus, node_exporter, Alertmanager…), each
 * logging stdout and stderr to `<dir>/<name>.log`, killed if this process
 * exits first, and stopped together.
 */
export class ChildProcesses {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly dir: string) {}

  /** Starts `command` in `dir`; returns the child (its exit code tells a start that failed). */
  spawn(name: string, command: string, args: readonly string[]): ChildProcess {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const child = spawn(command, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    this.children.push(child);
    return child;
  }

  /** SIGTERM to each child, SIGKILL after `graceMs`; resolves once they are gone. */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      }),
    );
    this.children.length = 0;
  }
}
