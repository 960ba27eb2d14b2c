/**
 * Client keys for `switchyard serve`: the bearer keys a client must present. Compared in
 * constant time (every byte of every configured key is looked at, whatever matches), so the
 * time an answer takes says nothing about how much of a guess was right.
 */

const encoder = new TextEncoder();

/** A checker over a fixed set of keys. */
export type ClientKeys = {
  /** Whether any key is configured (when none is, every request is let in). */
  readonly required: boolean;
  /** True when `presented` equals one of the keys. */
  accepts(presented: string | undefined): boolean;
};

/** Builds a checker; empty strings are ignored. */
export function createClientKeys(keys: readonly string[]): ClientKeys {
  const encoded = keys.filter((key) => key !== '').map((key) => encoder.encode(key));
  return {
    required: encoded.length > 0,
    accepts(presented) {
      if (presented === undefined) return false;
      const candidate = encoder.encode(presented);
      let matched = 0;
      for (const key of encoded) matched |= equalConstantTime(key, candidate);
      return matched === 1;
    },
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
