/**
 * Ends the process quietly, exit code 0, once `stream`'s reader has gone away
 * (`ringtail stack status | head -1`): what the default SIGPIPE does to a C
 * program. Node instead raises EPIPE as an unhandled 'error' event, a stack
 * trace on the terminal. Other stream errors are thrown as before.
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WritableStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit(0);
  });
}
