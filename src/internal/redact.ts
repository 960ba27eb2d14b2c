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
 *
 * An upstream may echo a secret URL-encoded (a key with `+`, `/` or `=` in a query string or a
 * redirect `location`): each secret's encoded forms are searched for too, computed once per list
 * (a key of letters, digits, `-` and `_` has none, so the usual list costs nothing more).
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
  const list = secretList(secrets);
  if (list.length === 0) return inactive;
  return Object.freeze({
    active: true,
    text: (value: string) => blankText(list, value),
    inPlace: <T>(root: T): T => redactInPlace(list, root),
    copy: (root: unknown) => redactedCopy(list, root),
    response: (value: Response) => redactResponse(list, value),
  });
}

/** The secrets worth searching for, and their URL-encoded forms, longest first, each once. */
export function secretList(secrets: Iterable<string>): readonly string[] {
  const list = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < minimumSecretLength) continue;
    list.add(secret);
    for (const form of encodedForms(secret)) list.add(form);
  }
  return [...list].sort((a, b) => b.length - a.length);
}

/**
 * How a secret reads once URL-encoded: `encodeURIComponent`'s form (and with lower-case hex
 * digits, which some encoders write), the form encoding of query strings and bodies
 * (`URLSearchParams`: a space as `+`, more characters escaped), and a `+` read back as a space
 * by a form decoder. Empty for a secret that encoding leaves as it is.
 */
function encodedForms(secret: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(secret);
  } catch {
    return []; // a lone surrogate: no encoder would send it
  }
  const form = new URLSearchParams([['', secret]]).toString().slice(1);
  const forms = [
    component,
    component.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    form,
    secret.replaceAll('+', ' '),
  ];
  return forms.filter((encoded) => encoded !== secret);
}

/** `value` with each secret of `list` (longest first) replaced by `[redacted]`. */
function blankText(list: readonly string[], value: string): string {
  let result = value;
  for (const secret of list) {
    if (result.includes(secret)) result = result.split(secret).join(redactedText);
  }
  return result;
}

/** A blanked copy of `value`, or `undefined` when no header holds a secret. */
function blankHeaders(list: readonly string[], value: Headers): Headers | undefined {
  let changed = false;
  const copy = new Headers();
  for (const [name, item] of value) {
    const blanked = blankText(list, item);
    if (blanked !== item) changed = true;
    copy.append(name, blanked);
  }
  return changed ? copy : undefined;
}

/** A walk over a value: the secrets, and the objects already seen (cycles end there). */
type InPlaceWalk = { readonly list: readonly string[]; readonly seen: Set<object> };

function redactInPlace<T>(list: readonly string[], root: T): T {
  visitInPlace({ list, seen: new Set() }, root, 0);
  return root;
}

function visitInPlace(walk: InPlaceWalk, value: unknown, depth: number): void {
  if (typeof value !== 'object' || value === null || depth > maxDepth || walk.seen.has(value))
    return;
  walk.seen.add(value);
  if (Object.isFrozen(value) && !(value instanceof Error)) {
    // Nothing can change here, but what it holds may not be frozen.
    for (const item of Object.values(value)) visitInPlace(walk, item, depth + 1);
    return;
  }
  const names = value instanceof Error ? Object.getOwnPropertyNames(value) : Object.keys(value);
  if (value instanceof Error && !names.includes('stack')) names.push('stack');
  for (const name of names) blankProperty(walk, value as Record<string, unknown>, name, depth);
}

/** Blanks one property: a string or `Headers` is replaced, an object is walked. */
function blankProperty(
  walk: InPlaceWalk,
  record: Record<string, unknown>,
  name: string,
  depth: number,
): void {
  let item: unknown;
  try {
    item = record[name];
  } catch {
    return; // a getter that throws
  }
  if (typeof item === 'string') {
    const blanked = blankText(walk.list, item);
    if (blanked !== item) replace(record, name, blanked);
  } else if (item instanceof Headers) {
    const blanked = blankHeaders(walk.list, item);
    if (blanked !== undefined) replace(record, name, blanked);
  } else if (typeof item === 'object' && item !== null) {
    visitInPlace(walk, item, depth + 1);
  }
}

/** A copy under way: the secrets, and each object already copied (with its copy). */
type CopyWalk = { readonly list: readonly string[]; readonly seen: WeakMap<object, unknown> };

function redactedCopy(list: readonly string[], root: unknown): unknown {
  return copyValue({ list, seen: new WeakMap() }, root, 0);
}

function copyValue(walk: CopyWalk, value: unknown, depth: number): unknown {
  if (typeof value === 'string') return blankText(walk.list, value);
  if (typeof value !== 'object' || value === null) return value;
  if (walk.seen.has(value)) return walk.seen.get(value);
  if (depth >= maxDepth) return '[redacted: too deep]';
  if (value instanceof Error) return copyError(walk, value, depth);
  if (Array.isArray(value)) {
    const result: unknown[] = [];
    walk.seen.set(value, result);
    for (const item of value) result.push(copyValue(walk, item, depth + 1));
    return result;
  }
  const entries =
    value instanceof Headers || value instanceof Map
      ? [...(value as Iterable<[unknown, unknown]>)]
      : Object.entries(value);
  const result: Record<string, unknown> = {};
  walk.seen.set(value, result);
  for (const [key, item] of entries)
    result[String(copyValue(walk, key, depth + 1))] = copyValue(walk, item, depth + 1);
  return result;
}

/** A plain `Error` with the same name, blanked message and stack, cause and own fields. */
function copyError(walk: CopyWalk, value: Error, depth: number): Error {
  const result = new Error(String(copyValue(walk, value.message, depth + 1)));
  result.name = value.name;
  result.stack = String(copyValue(walk, value.stack ?? '', depth + 1));
  walk.seen.set(value, result);
  if (value.cause !== undefined) result.cause = copyValue(walk, value.cause, depth + 1);
  const fields = value as unknown as Record<string, unknown>;
  for (const name of Object.keys(value)) {
    (result as unknown as Record<string, unknown>)[name] = copyValue(walk, fields[name], depth + 1);
  }
  return result;
}

function redactResponse(list: readonly string[], value: Response): Response {
  const blankedHeaders = blankHeaders(list, value.headers);
  const url = blankText(list, value.url);
  if (blankedHeaders === undefined && url === value.url) return value;
  const result = new Response(null, {
    status: value.status,
    statusText: blankText(list, value.statusText),
    headers: blankedHeaders ?? value.headers,
  });
  // A constructed Response has an empty, read-only url; the copy keeps the blanked one.
  Object.defineProperty(result, 'url', { value: url, enumerable: true });
  return result;
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
