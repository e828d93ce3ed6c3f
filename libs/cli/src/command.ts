/** One `ringtail` subcommand: what `--help` prints and what it runs. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}
