import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../../libs/cli/bin/ringtail.mjs', import.meta.url).pathname;

/** Runs the CLI with its stdout read end already closed (like `ringtail … | true`); resolves with its exit code and stderr. */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    // Closed before the CLI (tsx loads first) writes its first line, so every write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('the ringtail command writing into a closed pipe', () => {
  it.each([[['--help']], [['stack', 'status']], [['stack', '--help']], [['query', '--help']]])('%j exits 0 without an EPIPE stack trace', async (args) => {
    const { code, stderr } = await runIntoClosedPipe(args);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(code).toBe(0);
  });
});
