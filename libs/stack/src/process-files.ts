import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive, stopProcess } from './processes.ts';

/**
 * A pid file naming a live process of the stack's kind (a `redis-server`, a Kafka
 * JVM) whose command line lacks the marker: most often this stack's own process
 * started with other settings (the same instance folder, another port). It may
 * still be the only record of that process, so it is never cleared.
 */
export interface ProcessMismatch {
  readonly path: string;
  readonly pid: number;
  /** What the command line of our process contains. */
  readonly marker: string;
  /** The live process' command line, arguments joined by spaces. */
  readonly cmdline: string;
}

/**
 * What a pid file names: `ours`, our running process; `mismatch`, see ProcessMismatch;
 * `stale`, nothing to stop (no file, no valid pid, a dead process, or a recycled pid
 * now running another program).
 */
export type ProcessFileState =
  | { readonly kind: 'ours'; readonly pid: number }
  | ({ readonly kind: 'mismatch' } & ProcessMismatch)
  | { readonly kind: 'stale' };

/**
 * A pid file for one stack process. A pid counts as ours only while the process
 * still runs `program` with `marker` (unique to this stack process) on its command
 * line, so a recycled pid is never signalled.
 */
export class ProcessFile {
  constructor(
    readonly path: string,
    private readonly program: string,
    private readonly marker: string,
  ) {}

  /** What the file names right now; reading it never changes it. */
  state(): ProcessFileState {
    if (!existsSync(this.path)) return { kind: 'stale' };
    const pid = Number(readFileSync(this.path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return { kind: 'stale' };
    let args: string[];
    try {
      // Arguments are NUL-separated; Redis rewrites its title and pads it with NULs.
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      return { kind: 'stale' };
    }
    const cmdline = args.join(' ');
    if (!cmdline.includes(this.program)) return { kind: 'stale' };
    // A whole argument or word, so 127.0.0.1:1649 never passes for 127.0.0.1:16490.
    if (args.includes(this.marker) || cmdline.split(' ').includes(this.marker)) return { kind: 'ours', pid };
    return { kind: 'mismatch', path: this.path, pid, marker: this.marker, cmdline };
  }

  /**
   * Stops our process (SIGTERM, SIGKILL after `graceMs`) and removes the file; a
   * stale file is removed too. A mismatch is left alone, file included, and returned.
   */
  async stop(graceMs: number): Promise<ProcessMismatch | undefined> {
    const s = this.state();
    if (s.kind === 'mismatch') return s;
    if (s.kind === 'ours') await stopProcess(s.pid, graceMs);
    this.clear();
    return undefined;
  }

  record(pid: number): void {
    writeFileSync(this.path, `${pid}\n`);
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}

/** One line per mismatch: which file, which pid, what was expected and what runs. */
export function describeMismatch(name: string, m: ProcessMismatch): string {
  return `${name}: ${m.path} names pid ${m.pid}, whose command line is "${m.cmdline}"; expected one with "${m.marker}"`;
}
