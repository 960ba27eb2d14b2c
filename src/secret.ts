/**
 * A credential from the config. It prints as `[redacted]` everywhere (string conversion, JSON,
 * `util.inspect`, template literals) and gives up its value only through {@link Secret.reveal},
 * which the router calls when it builds a request.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The secret value. Call only where it is sent to its own gateway. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return '[redacted]';
  }

  /** Always `"[redacted]"`. */
  toJSON(): string {
    return '[redacted]';
  }

  /** Node's `util.inspect` hook (a registered symbol, so no `node:util` import is needed). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}
