import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive } from './processes.ts';

/**
 * A pid file for one stack process. A pid counts as ours only while the process
 * still has `marker` (a path unique to this stack) on its command line, so a
 * recycled pid is never signalled.
 */
export class ProcessFile {
  constructor(
    readonly path: string,
    private readonly marker: string,
  ) {}

  /** The pid of our running process, or undefined. */
  runningPid(): number | undefined {
    if (!existsSync(this.path)) return undefined;
    const pid = Number(readFileSync(this.path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes(this.marker) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  record(pid: number): void {
    writeFileSync(this.path, `${pid}\n`);
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}
