/**
 * The one place secrets are blanked. A gateway or proxy may echo the credential it was sent
 * ("Incorrect API key provided: sk-..."), in a body field, a header, an SSE error event or a
 * request id; the router knows every secret it sends, so every value it relays (errors with
 * their whole cause chain, `APIError` fields and headers, request and gateway ids, attempt logs,
 * hook states, stream errors before and after the commit point, the SDK's debug log) passes
 * through a {@link Redactor} first.
 *
 * Secrets are replaced longest first, so a secret that contains another is blanked whole
 * (`abcd` and `abcdefgh` in `key=abcdefgh` give `key=[redacted]`, not `key=[redacted]efgh`).
 */

/** What a secret is replaced with. */
export const redactedText = '[redacted]';

/** Secrets shorter than this are not searched for: blanking them would garble ordinary text. */
export const minimumSecretLength = 4;

/** How deep objects are walked (errors' causes, bodies); deeper values are left as they are. */
const maxDepth = 32;

/** Blanks one set of secrets. */
export type Redactor = {
  /** False when there is nothing to blank (no secret long enough). */
  readonly active: boolean;
  /** `text` with every secret replaced by `[redacted]`. */
  text(text: string): string;
  /**
   * Blanks secrets in place, all the way down: an error's `message`, `stack`, `cause` chain and
   * every other own property (an `APIError`'s `error` body, `param`, `code`, `type`,
   * `requestID` and `headers`), objects and arrays. Returns the same value. Frozen objects are
   * left as they are (build them from redacted values).
   */
  inPlace<T>(value: T): T;
  /** A redacted copy of a value (plain data, errors, `Headers`, `Map`s), for logging. */
  copy(value: unknown): unknown;
  /**
   * The response itself when neither its headers nor its URL hold a secret; otherwise a copy
   * (status, status text, blanked headers and URL, no body: the SDK has read it) that is safe to
   * log.
   */
  response(value: Response): Response;
};

const inactive: Redactor = Object.freeze({
  active: false,
  text: (text: string) => text,
  inPlace: <T>(value: T) => value,
  copy: (value: unknown) => value,
  response: (value: Response) => value,
});

const cache = new WeakMap<readonly string[], Redactor>();

/**
 * The redactor for a list of secrets; cached by the list's identity, so passing the same
 * (frozen) list again costs nothing.
 */
export function redactorFor(secrets: readonly string[]): Redactor {
  let redactor = cache.get(secrets);
  if (redactor === undefined) {
    redactor = createRedactor(secrets);
    cache.set(secrets, redactor);
  }
  return redactor;
}

/** A redactor for `secrets` (any order, duplicates and short values allowed). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const list = [...new Set(secrets)]
    .filter((secret) => typeof secret === 'string' && secret.length >= minimumSecretLength)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return inactive;

  const text = (value: string): string => {
    let result = value;
    for (const secret of list) {
      if (result.includes(secret)) result = result.split(secret).join(redactedText);
    }
    return result;
  };

  const headers = (value: Headers): Headers | undefined => {
    let changed = false;
    const copy = new Headers();
    for (const [name, item] of value) {
      const blanked = text(item);
      if (blanked !== item) changed = true;
      copy.append(name, blanked);
    }
    return changed ? copy : undefined;
  };

  const inPlace = <T>(root: T): T => {
    const seen = new Set<object>();
    const visit = (value: unknown, depth: number) => {
      if (typeof value !== 'object' || value === null || depth > maxDepth || seen.has(value))
        return;
      seen.add(value);
      if (Object.isFrozen(value) && !(value instanceof Error)) {
        // Nothing can change here, but what it holds may not be frozen.
        for (const item of Object.values(value)) visit(item, depth + 1);
        return;
      }
      const record = value as Record<string, unknown>;
      const names =
        value instanceof Error
          ? Object.getOwnPropertyNames(value)
          : Array.isArray(value)
            ? Object.keys(value)
            : Object.keys(value);
      if (value instanceof Error && !names.includes('stack')) names.push('stack');
      for (const name of names) {
        let item: unknown;
        try {
          item = record[name];
        } catch {
          continue; // a getter that throws
        }
        if (typeof item === 'string') {
          const blanked = text(item);
          if (blanked !== item) replace(record, name, blanked);
        } else if (item instanceof Headers) {
          const blanked = headers(item);
          if (blanked !== undefined) replace(record, name, blanked);
        } else if (typeof item === 'object' && item !== null) {
          visit(item, depth + 1);
        }
      }
    };
    visit(root, 0);
    return root;
  };

  const copy = (root: unknown): unknown => {
    const seen = new WeakMap<object, unknown>();
    const next = (value: unknown, depth: number): unknown => {
      if (typeof value === 'string') return text(value);
      if (typeof value !== 'object' || value === null) return value;
      if (seen.has(value)) return seen.get(value);
      if (depth >= maxDepth) return '[redacted: too deep]';
      if (value instanceof Error) {
        const result = new Error(String(next(value.message, depth + 1)));
        result.name = value.name;
        result.stack = String(next(value.stack ?? '', depth + 1));
        seen.set(value, result);
        if (value.cause !== undefined) result.cause = next(value.cause, depth + 1);
        for (const name of Object.keys(value)) {
          (result as unknown as Record<string, unknown>)[name] = next(
            (value as unknown as Record<string, unknown>)[name],
            depth + 1,
          );
        }
        return result;
      }
      if (Array.isArray(value)) {
        const result: unknown[] = [];
        seen.set(value, result);
        for (const item of value) result.push(next(item, depth + 1));
        return result;
      }
      const entries =
        value instanceof Headers || value instanceof Map
          ? [...(value as Iterable<[unknown, unknown]>)]
          : Object.entries(value);
      const result: Record<string, unknown> = {};
      seen.set(value, result);
      for (const [key, item] of entries)
        result[String(next(key, depth + 1))] = next(item, depth + 1);
      return result;
    };
    return next(root, 0);
  };

  const response = (value: Response): Response => {
    const blankedHeaders = headers(value.headers);
    const url = text(value.url);
    if (blankedHeaders === undefined && url === value.url) return value;
    const result = new Response(null, {
      status: value.status,
      statusText: text(value.statusText),
      headers: blankedHeaders ?? value.headers,
    });
    // A constructed Response has an empty, read-only url; the copy keeps the blanked one.
    Object.defineProperty(result, 'url', { value: url, enumerable: true });
    return result;
  };

  return Object.freeze({ active: true, text, inPlace, copy, response });
}

/** `text` with every secret in `secrets` replaced by `[redacted]`, longest first. */
export function redactText(text: string, secrets: readonly string[]): string {
  return createRedactor(secrets).text(text);
}

/** Sets a property to its redacted value, whether it is writable, configurable or an accessor. */
function replace(record: Record<string, unknown>, name: string, value: unknown): void {
  const descriptor = Object.getOwnPropertyDescriptor(record, name);
  if (descriptor === undefined || descriptor.configurable) {
    // An own accessor (V8's `stack`) or a prototype getter becomes a plain own value.
    Object.defineProperty(record, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: descriptor?.enumerable ?? false,
    });
  } else if (descriptor.writable === true) {
    record[name] = value;
  }
}
