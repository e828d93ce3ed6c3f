/** Errors of the stack launcher: each names what is wrong and how to fix it. */
export type StackErrorCode =
  | 'STACK_PREREQUISITE_MISSING'
  | 'STACK_START_FAILED'
  | 'STACK_NOT_READY'
  /** A pid file names a live process of the stack's kind started with other settings; the file is kept. */
  | 'STACK_PROCESS_MISMATCH'
  | 'STACK_MODE_UNAVAILABLE'
  | 'STACK_CONFIG_INVALID';

export class StackError extends Error {
  override readonly name = 'StackError';
  readonly retriable: boolean;

  constructor(
    readonly code: StackErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}
