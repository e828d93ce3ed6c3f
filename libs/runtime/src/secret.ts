import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential (password, token) that prints as `[redacted]` however it is
 * turned into text: string conversion, JSON (so pino), `util.inspect` (so
 * console and error dumps). Only `reveal()` gives the value, and only the
 * client factories that hand it to a socket call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret's value, for a client library's options; never log it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
