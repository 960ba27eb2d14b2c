/**
 * Health memory shared through Redis, so many processes learn an outage once and send one probe
 * between them. State is a few keys per upstream, all with TTLs (no timestamps, so clock skew
 * between machines does not matter):
 *
 * - `failures`: a counter of recent failures, expiring `failureWindowMs` after the last one;
 * - `cool`: present while the upstream cools down (its TTL is the time left);
 * - `tripped`: the last cool-down's length; while present, the upstream must pass a probe;
 * - `probe`: claimed with SET NX PX by the one call, in any process, that probes.
 *
 * Each step is one Lua script (atomic on the server). Every operation has a small time budget
 * (the first calls of a process wait within it for the connection, so a cold start sees shared
 * health); when Redis is slow, down or refuses scripts to its user, the store answers from this
 * process's own memory (which it keeps up to date all along), logs once per outage, and checks
 * in the background, less often while the same error repeats, until Redis runs a script again.
 * No operation ever throws into a call.
 *
 * The client is `@redis/client` (node-redis, maintained by Redis), an optional peer dependency
 * loaded only when a store is created from a URL; any client with `sendCommand` works.
 */
import {
  type CooldownPolicy,
  cooldownPolicy,
  createHealthMemory,
  type HealthMemoryOptions,
  type HealthStore,
  type HealthTicket,
  type SyncHealthStore,
} from './health-memory.ts';
import {
  attempt,
  closeConnection,
  connectNow,
  createRedisConnection,
  evalScript,
  isOffline,
  type RedisCommandClient,
  type RedisConnection,
  type RedisStoreClock,
  startConnecting,
  systemClock,
} from './health-redis-connection.ts';
import {
  acquireScript,
  failureScript,
  readAcquireReply,
  upstreamKeys,
} from './health-redis-scripts.ts';

export type { RedisCommandClient, RedisStoreClock } from './health-redis-connection.ts';

/** Options of {@link createRedisHealth}. */
export type RedisHealthOptions = HealthMemoryOptions & {
  /**
   * Redis URL (`redis://[[user]:password@]host[:port][/db]`, or `rediss://`). The store creates
   * and owns a `@redis/client` connection (install the package); `close()` ends it.
   * Ignored when `client` is given.
   * @default undefined (give `url` or `client`)
   */
  url?: string;
  /**
   * A connected client to use instead of `url` (yours: `close()` leaves it open).
   * @default undefined (give `url` or `client`)
   */
  client?: RedisCommandClient;
  /** Prefix of every key, so several routers or apps can share one Redis. @default 'switchyard' */
  prefix?: string;
  /**
   * Time budget of one Redis operation, in ms; past it the call goes on with local memory. The
   * first calls of a process wait within it for the connection to open.
   * @default 50
   */
  timeoutMs?: number;
  /**
   * First wait before checking whether Redis answers again, in ms; each failed check doubles
   * the wait, up to `maxRecheckMs`.
   * @default 1000
   */
  recheckMs?: number;
  /** Longest wait between two checks of an unavailable Redis, in ms. @default 30000 */
  maxRecheckMs?: number;
  /** Timers and time of the background checks (for tests). @default the system clock */
  clock?: RedisStoreClock;
  /** Failures are counted within this window (it restarts at each failure), in ms. @default 60000 */
  failureWindowMs?: number;
  /** How long a probe's claim lasts if its process dies before it reports, in ms. @default 60000 */
  probeTtlMs?: number;
  /**
   * Where the once-per-outage messages go: one when the store goes to memory (naming the
   * missing permission when Redis refuses the store's scripts to its user), one when health is
   * shared again. @default console.warn
   */
  log?: (message: string) => void;
};

/** A {@link HealthStore} backed by Redis; see the module comment for its keys. */
export type RedisHealthStore = HealthStore & {
  /**
   * `redis` while Redis answers; `memory` while the store works from local memory (before the
   * first connection, and while Redis is slow, down or refuses the store's scripts).
   */
  readonly mode: 'redis' | 'memory';
  /**
   * Connects now rather than at the first call (e.g. at start-up, or in a health check).
   * Resolves true once Redis answers a PING, false if it does not; never rejects.
   */
  connect(): Promise<boolean>;
  /** Ends the connection the store opened from `url` (not a client you passed in). */
  close(): Promise<void>;
};

/** Everything a Redis store knows: its settings, its connection, and what it has seen. */
type RedisState = {
  readonly connection: RedisConnection;
  readonly prefix: string;
  readonly windowMs: number;
  readonly probeTtlMs: number;
  readonly policy: CooldownPolicy;
  /** The memory answering while Redis cannot, kept up to date all along. */
  readonly local: SyncHealthStore;
  /** Upstreams this process probes. */
  readonly probing: Set<string>;
  /** Upstreams that may have shared state a success must clear. */
  readonly dirty: Set<string>;
};

function createState(options: RedisHealthOptions): RedisState {
  return {
    connection: createRedisConnection({
      url: options.url,
      client: options.client,
      budgetMs: options.timeoutMs ?? 50,
      recheckMs: options.recheckMs ?? 1000,
      maxRecheckMs: Math.max(options.recheckMs ?? 1000, options.maxRecheckMs ?? 30_000),
      log: options.log ?? ((message: string) => console.warn(message)),
      clock: options.clock ?? systemClock,
    }),
    prefix: options.prefix ?? 'switchyard',
    windowMs: options.failureWindowMs ?? 60_000,
    probeTtlMs: options.probeTtlMs ?? 60_000,
    policy: cooldownPolicy(options),
    local: createHealthMemory(options),
    probing: new Set(),
    dirty: new Set(),
  };
}

async function acquireShared(
  state: RedisState,
  upstream: string,
  now: number,
): Promise<HealthTicket> {
  const keys = upstreamKeys(state.prefix, upstream);
  const outcome = await evalScript(state.connection, {
    script: acquireScript,
    keys: [keys.cool, keys.tripped, keys.probe, keys.failures],
    args: [state.probeTtlMs],
    // The answer came too late and this call went on without it: give back a probe it won.
    onLate: (reply) => {
      const late = readAcquireReply(reply)?.ticket;
      if (late?.available === true && late.probe)
        void attempt(state.connection, ['DEL', keys.probe]);
    },
  });
  const read = outcome.ok ? readAcquireReply(outcome.reply) : undefined;
  if (read === undefined) return state.local.acquire(upstream, now);
  const { ticket, failures } = read;
  if (!ticket.available || ticket.probe || failures > 0) state.dirty.add(upstream);
  if (ticket.available && ticket.probe) state.probing.add(upstream);
  return ticket;
}

function recordSuccess(state: RedisState, upstream: string, now: number): void {
  state.local.recordSuccess(upstream, now);
  state.probing.delete(upstream);
  if (!state.dirty.delete(upstream) || isOffline(state.connection)) return;
  const keys = upstreamKeys(state.prefix, upstream);
  void attempt(state.connection, ['DEL', keys.failures, keys.cool, keys.tripped, keys.probe]);
}

function recordFailure(
  state: RedisState,
  upstream: string,
  failure: { now: number; retryAfterMs?: number },
): void {
  state.local.recordFailure(upstream, failure);
  const wasProbe = state.probing.delete(upstream);
  state.dirty.add(upstream);
  if (isOffline(state.connection)) return;
  const keys = upstreamKeys(state.prefix, upstream);
  const { policy } = state;
  void evalScript(state.connection, {
    script: failureScript,
    keys: [keys.failures, keys.cool, keys.tripped, keys.probe],
    args: [
      wasProbe ? 1 : 0,
      Math.max(0, Math.round(failure.retryAfterMs ?? 0)),
      policy.threshold,
      policy.baseCooldownMs,
      policy.maxCooldownMs,
      state.windowMs,
    ],
  });
}

function releaseProbe(state: RedisState, upstream: string): void {
  state.local.releaseProbe(upstream);
  if (!state.probing.delete(upstream) || isOffline(state.connection)) return;
  void attempt(state.connection, ['DEL', upstreamKeys(state.prefix, upstream).probe]);
}

/**
 * Forgets only this process's view: the shared keys expire on their own, and other processes
 * may still route to the old definition.
 */
function forget(state: RedisState, upstream: string): void {
  state.local.forget(upstream);
  state.probing.delete(upstream);
  state.dirty.delete(upstream);
}

/**
 * Creates a Redis-backed {@link HealthStore}. A store made from `url` starts connecting at once,
 * in the background (the connection does not keep the process alive); the first calls wait for
 * it within `timeoutMs`, and past it work from local memory until Redis answers.
 */
export function createRedisHealth(options: RedisHealthOptions): RedisHealthStore {
  const state = createState(options);
  const { connection } = state;
  startConnecting(connection);
  return {
    get mode() {
      return connection.client !== undefined && !isOffline(connection) ? 'redis' : 'memory';
    },
    connect: () => connectNow(connection),
    acquire: (upstream, now) =>
      isOffline(connection)
        ? state.local.acquire(upstream, now)
        : acquireShared(state, upstream, now),
    recordSuccess: (upstream, now) => recordSuccess(state, upstream, now),
    recordFailure: (upstream, failure) => recordFailure(state, upstream, failure),
    releaseProbe: (upstream) => releaseProbe(state, upstream),
    forget: (upstream) => forget(state, upstream),
    get size() {
      return state.local.size;
    },
    close: () => closeConnection(connection),
  };
}
