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

/** The default in-memory {@link HealthStore}. */
export function createHealthMemory(options: HealthMemoryOptions = {}): SyncHealthStore {
  const threshold = options.failureThreshold ?? 3;
  const baseCooldown = options.cooldownMs ?? 5000;
  const maxCooldown = options.maxCooldownMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();

  const touch = (upstream: string): Entry => {
    let entry = entries.get(upstream);
    if (entry === undefined) {
      entry = { failures: 0, openUntil: 0, cooldownMs: 0, probing: false };
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    } else {
      entries.delete(upstream); // re-insert: Map order is recency order
    }
    entries.set(upstream, entry);
    return entry;
  };

  return {
    acquire(upstream, now) {
      const entry = entries.get(upstream);
      if (entry === undefined || entry.openUntil === 0) return { available: true, probe: false };
      if (now < entry.openUntil) return { available: false, retryInMs: entry.openUntil - now };
      if (entry.probing) return { available: false, retryInMs: 0 };
      entry.probing = true;
      return { available: true, probe: true };
    },
    recordSuccess(upstream) {
      // Healthy upstreams need no state: forgetting them keeps the map small.
      entries.delete(upstream);
    },
    recordFailure(upstream, failure) {
      const entry = touch(upstream);
      entry.failures += 1;
      const wasProbe = entry.probing;
      entry.probing = false;
      const asked =
        failure.retryAfterMs === undefined
          ? undefined
          : Math.min(failure.retryAfterMs, maxCooldown);
      if (wasProbe) {
        entry.cooldownMs = Math.min(maxCooldown, Math.max(baseCooldown, entry.cooldownMs * 2));
        entry.openUntil = failure.now + Math.max(entry.cooldownMs, asked ?? 0);
      } else if (asked !== undefined && asked > 0) {
        entry.cooldownMs = Math.max(entry.cooldownMs, baseCooldown);
        entry.openUntil = failure.now + asked;
      } else if (entry.failures >= threshold) {
        entry.cooldownMs = Math.max(entry.cooldownMs, baseCooldown);
        entry.openUntil = failure.now + entry.cooldownMs;
      }
    },
    forget(upstream) {
      entries.delete(upstream);
    },
    releaseProbe(upstream) {
      const entry = entries.get(upstream);
      if (entry !== undefined) entry.probing = false;
    },
    get size() {
      return entries.size;
    },
  };
}
