/**
 * Health memory: an upstream that keeps failing (or names a Retry-After on 429/503) is skipped
 * for a cool-down, then probed by one call (half-open) and restored when that call succeeds.
 * In memory and bounded; behind a small interface so a shared store can replace it.
 */

/** The answer of {@link HealthStore.acquire}. */
export type HealthTicket =
  /** Go ahead; `probe` is true when this call is the half-open probe. */
  | { readonly available: true; readonly probe: boolean }
  /** Cooling down; may be tried again in `retryInMs`. */
  | { readonly available: false; readonly retryInMs: number };

/**
 * Where health state lives. All times are milliseconds from the injected clock. `acquire` may
 * answer asynchronously (a shared store); the other methods report and return at once.
 */
export type HealthStore = {
  /** Asks to send a request to an upstream now. */
  acquire(upstream: string, now: number): HealthTicket | Promise<HealthTicket>;
  /** The upstream served a request. */
  recordSuccess(upstream: string, now: number): void;
  /** The upstream failed in a way that says something about its health. */
  recordFailure(upstream: string, failure: { now: number; retryAfterMs?: number }): void;
  /** A probe ended without telling anything (e.g. the caller aborted): let the next call probe. */
  releaseProbe(upstream: string): void;
  /** Drops what is known of an upstream (its definition changed). */
  forget(upstream: string): void;
  /** How many upstreams have state. */
  readonly size: number;
  /** Releases what the store holds (a connection); the router calls it on close for stores it made. */
  close?(): Promise<void>;
};

/** Options of {@link createHealthMemory}. */
export type HealthMemoryOptions = {
  /** Consecutive failures that start a cool-down. @default 3 */
  failureThreshold?: number;
  /** First cool-down, in ms; doubles after each failed probe. @default 5000 */
  cooldownMs?: number;
  /** Longest cool-down (also caps a Retry-After), in ms. @default 60000 */
  maxCooldownMs?: number;
  /** Most upstreams remembered; the least recently touched is forgotten first. @default 10000 */
  maxEntries?: number;
};

type Entry = {
  failures: number;
  /** When the upstream may be tried again; 0 = healthy. */
  openUntil: number;
  /** Current cool-down length, for doubling. */
  cooldownMs: number;
  probing: boolean;
};

/** A {@link HealthStore} that answers at once. */
export type SyncHealthStore = Omit<HealthStore, 'acquire'> & {
  acquire(upstream: string, now: number): HealthTicket;
};

/** How failures turn into cool-downs: the thresholds of {@link HealthMemoryOptions}, resolved. */
export type CooldownPolicy = {
  /** Consecutive failures that start a cool-down. */
  readonly threshold: number;
  /** First cool-down, in ms. */
  readonly baseCooldownMs: number;
  /** Longest cool-down (also caps a Retry-After), in ms. */
  readonly maxCooldownMs: number;
};

/** Resolves the cool-down options to their values. */
export function cooldownPolicy(options: HealthMemoryOptions): CooldownPolicy {
  return {
    threshold: options.failureThreshold ?? 3,
    baseCooldownMs: options.cooldownMs ?? 5000,
    maxCooldownMs: options.maxCooldownMs ?? 60_000,
  };
}

/**
 * What one failure does to an upstream: the cool-down level it leaves and how long the upstream
 * now cools (`coolMs`), or `undefined` when it keeps serving. A failed probe doubles the level
 * (at least the base, at most the maximum) and cools for the level or the Retry-After, whichever
 * is longer; a Retry-After cools for what it asks (capped); reaching the threshold cools for
 * the level. The Redis store's failure script does the same on the server.
 */
export function nextCooldown(input: {
  /** Failures counted so far, this one included. */
  failures: number;
  /** The current cool-down level, in ms (0 before the first). */
  levelMs: number;
  /** Whether the failed call was the half-open probe. */
  wasProbe: boolean;
  /** What the upstream asked for (Retry-After), in ms. */
  retryAfterMs: number | undefined;
  policy: CooldownPolicy;
}): { levelMs: number; coolMs: number } | undefined {
  const { policy } = input;
  const asked =
    input.retryAfterMs === undefined
      ? undefined
      : Math.min(input.retryAfterMs, policy.maxCooldownMs);
  if (input.wasProbe) {
    const levelMs = Math.min(
      policy.maxCooldownMs,
      Math.max(policy.baseCooldownMs, input.levelMs * 2),
    );
    return { levelMs, coolMs: Math.max(levelMs, asked ?? 0) };
  }
  if (asked !== undefined && asked > 0) {
    return { levelMs: Math.max(input.levelMs, policy.baseCooldownMs), coolMs: asked };
  }
  if (input.failures >= policy.threshold) {
    const levelMs = Math.max(input.levelMs, policy.baseCooldownMs);
    return { levelMs, coolMs: levelMs };
  }
  return undefined;
}

type MemoryState = {
  readonly policy: CooldownPolicy;
  readonly maxEntries: number;
  /** In recency order: the first entry is the least recently touched. */
  readonly entries: Map<string, Entry>;
};

/** The entry of an upstream, created if needed and moved to the most recent place. */
function touch(state: MemoryState, upstream: string): Entry {
  const { entries } = state;
  let entry = entries.get(upstream);
  if (entry === undefined) {
    entry = { failures: 0, openUntil: 0, cooldownMs: 0, probing: false };
    if (entries.size >= state.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  } else {
    entries.delete(upstream); // re-insert: Map order is recency order
  }
  entries.set(upstream, entry);
  return entry;
}

function acquire(state: MemoryState, upstream: string, now: number): HealthTicket {
  const entry = state.entries.get(upstream);
  if (entry === undefined || entry.openUntil === 0) return { available: true, probe: false };
  if (now < entry.openUntil) return { available: false, retryInMs: entry.openUntil - now };
  if (entry.probing) return { available: false, retryInMs: 0 };
  entry.probing = true;
  return { available: true, probe: true };
}

function recordFailure(
  state: MemoryState,
  upstream: string,
  failure: { now: number; retryAfterMs?: number },
): void {
  const entry = touch(state, upstream);
  entry.failures += 1;
  const wasProbe = entry.probing;
  entry.probing = false;
  const next = nextCooldown({
    failures: entry.failures,
    levelMs: entry.cooldownMs,
    wasProbe,
    retryAfterMs: failure.retryAfterMs,
    policy: state.policy,
  });
  if (next === undefined) return;
  entry.cooldownMs = next.levelMs;
  entry.openUntil = failure.now + next.coolMs;
}

/** The default in-memory {@link HealthStore}. */
export function createHealthMemory(options: HealthMemoryOptions = {}): SyncHealthStore {
  const state: MemoryState = {
    policy: cooldownPolicy(options),
    maxEntries: options.maxEntries ?? 10_000,
    entries: new Map(),
  };
  const { entries } = state;
  return {
    acquire: (upstream, now) => acquire(state, upstream, now),
    // Healthy upstreams need no state: forgetting them keeps the map small.
    recordSuccess: (upstream) => void entries.delete(upstream),
    recordFailure: (upstream, failure) => recordFailure(state, upstream, failure),
    forget: (upstream) => void entries.delete(upstream),
    releaseProbe(upstream) {
      const entry = entries.get(upstream);
      if (entry !== undefined) entry.probing = false;
    },
    get size() {
      return entries.size;
    },
  };
}
