/**
 * The gateway response cache, emulated: which requests were served and until when, so a repeat
 * within the TTL reports `cf-aig-cache-status: HIT` (answers are deterministic, so a hit is
 * rendered again rather than stored).
 */

/** Which requests were served, and until when. */
export type ResponseCache = {
  /** Whether `key` was stored and has not expired at `now` (milliseconds, `performance.now()`). */
  has(options: { key: string; now: number }): boolean;
  /** Remembers `key` for `ttlMs` milliseconds from `now`. */
  store(options: { key: string; now: number; ttlMs: number }): void;
  /** Forgets everything. */
  clear(): void;
};

/**
 * Cache lifetime when `cf-aig-cache-key` is sent without `cf-aig-cache-ttl`: Cloudflare caches
 * such responses for 5 minutes.
 */
export const defaultCacheTtlMs = 5 * 60 * 1000;

/** Creates an empty {@link ResponseCache}. */
export function createResponseCache(): ResponseCache {
  // Only the expiry is kept: answers are deterministic, so a hit can be re-rendered.
  const expiries = new Map<string, number>();
  return {
    has({ key, now }) {
      const expiry = expiries.get(key);
      if (expiry === undefined) return false;
      if (expiry <= now) {
        expiries.delete(key);
        return false;
      }
      return true;
    },
    store({ key, now, ttlMs }) {
      expiries.set(key, now + ttlMs);
    },
    clear() {
      expiries.clear();
    },
  };
}
