/**
 * Client keys for `switchyard serve`: the bearer keys a client must present, each possibly
 * limited to some aliases. Compared in constant time (every byte of every configured key is
 * looked at, whatever matches), so the time an answer takes says nothing about how much of a
 * guess was right.
 */

const encoder = new TextEncoder();

/** A client key: the key alone (every alias), or the key and the aliases it may call. */
export type ClientKey = string | { readonly key: string; readonly models?: readonly string[] };

/** What a presented key is allowed. */
export type KeyGrant = {
  /** The aliases it may call; undefined: every alias. */
  readonly models: readonly string[] | undefined;
};

/** A checker over a fixed set of keys. */
export type ClientKeys = {
  /** Whether any key is configured (when none is, every request is let in). */
  readonly required: boolean;
  /** True when `presented` equals one of the keys. */
  accepts(presented: string | undefined): boolean;
  /** The grant of the key `presented` equals, or undefined when it matches none. */
  match(presented: string | undefined): KeyGrant | undefined;
};

/** Builds a checker; empty keys are ignored. */
export function createClientKeys(keys: readonly ClientKey[]): ClientKeys {
  const entries = keys
    .map((entry) => (typeof entry === 'string' ? { key: entry } : entry))
    .filter((entry) => entry.key !== '')
    .map((entry) => ({ bytes: encoder.encode(entry.key), grant: { models: entry.models } }));
  const match = (presented: string | undefined): KeyGrant | undefined => {
    if (presented === undefined) return undefined;
    const candidate = encoder.encode(presented);
    let found: KeyGrant | undefined;
    for (const entry of entries) {
      // Every key is compared whole; the first match is kept without leaving the loop early.
      if (equalConstantTime(entry.bytes, candidate) === 1) found ??= entry.grant;
    }
    return found;
  };
  return {
    required: entries.length > 0,
    accepts: (presented) => match(presented) !== undefined,
    match,
  };
}

/** 1 when equal, 0 otherwise; the loop always runs over the whole expected key. */
function equalConstantTime(expected: Uint8Array, candidate: Uint8Array): number {
  let difference = expected.length ^ candidate.length;
  for (let index = 0; index < expected.length; index += 1) {
    difference |= (expected[index] ?? 0) ^ (candidate[index % Math.max(candidate.length, 1)] ?? 0);
  }
  return difference === 0 ? 1 : 0;
}

/** The key in `Authorization: Bearer <key>` (or `api-key`, as Azure-style clients send it). */
export function presentedKey(headers: Headers): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1]?.trim();
  }
  return headers.get('api-key') ?? headers.get('x-api-key') ?? undefined;
}
