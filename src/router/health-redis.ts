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
 * Each step is one Lua script (atomic on the server). Every operation has a small time budget;
 * when Redis is slow or down the store answers from this process's own memory (which it keeps
 * up to date all along), logs once, and checks in the background until Redis answers again.
 * No operation ever throws into a call.
 *
 * The client is `@redis/client` (node-redis, maintained by Redis), an optional peer dependency
 * loaded only when a store is created from a URL; any client with `sendCommand` works.
 */
import { redactText } from '../internal/redact.ts';
import {
  createHealthMemory,
  type HealthMemoryOptions,
  type HealthStore,
  type HealthTicket,
} from './health-memory.ts';

/** The part of a Redis client the store uses (`@redis/client`'s `createClient()` has it). */
export type RedisCommandClient = {
  /** Sends one command, e.g. `['PING']`; resolves with the reply. */
  sendCommand(args: string[]): Promise<unknown>;
};

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
  /** Time budget of one Redis operation, in ms; past it the call goes on with local memory. @default 50 */
  timeoutMs?: number;
  /** How often to check whether an unreachable Redis answers again, in ms. @default 1000 */
  recheckMs?: number;
  /** Failures are counted within this window (it restarts at each failure), in ms. @default 60000 */
  failureWindowMs?: number;
  /** How long a probe's claim lasts if its process dies before it reports, in ms. @default 60000 */
  probeTtlMs?: number;
  /** Where the once-per-outage messages go. @default console.warn */
  log?: (message: string) => void;
};

/** A {@link HealthStore} backed by Redis; see the module comment for its keys. */
export type RedisHealthStore = HealthStore & {
  /**
   * `redis` while Redis answers; `memory` while the store works from local memory (before the
   * first connection, and while Redis is slow or down).
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

// KEYS: cool, tripped, probe, failures. ARGV: probe TTL.
// Returns {1, 0, failures} healthy, {1, 1} this call probes, {0, ms} cooling (ms 0: probe in flight).
const acquireScript = `
local cool = redis.call('PTTL', KEYS[1])
if cool > 0 then return {0, cool} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {1, 0, tonumber(redis.call('GET', KEYS[4]) or '0')}
end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return {1, 1} end
return {0, 0}`;

// KEYS: failures, cool, tripped, probe. ARGV: was probe (1/0), retry-after ms (0 none), threshold,
// base cool-down, max cool-down, failure window. Mirrors createHealthMemory's recordFailure.
const failureScript = `
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local level = tonumber(redis.call('GET', KEYS[3]) or '0')
local asked = tonumber(ARGV[2])
local base = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
if asked > max then asked = max end
local cool
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[4])
  level = math.min(max, math.max(base, level * 2))
  cool = math.max(level, asked)
elseif asked > 0 then
  level = math.max(level, base)
  cool = asked
elseif failures >= tonumber(ARGV[3]) then
  level = math.max(level, base)
  cool = level
else
  return 0
end
redis.call('SET', KEYS[2], '1', 'PX', cool)
redis.call('SET', KEYS[3], level, 'PX', cool + max)
return cool`;

const timedOut = Symbol('timed out');

/**
 * Creates a Redis-backed {@link HealthStore}. No I/O happens before the first call needs it;
 * until Redis answers, the store works from local memory.
 */
export function createRedisHealth(options: RedisHealthOptions): RedisHealthStore {
  const prefix = options.prefix ?? 'switchyard';
  const budgetMs = options.timeoutMs ?? 50;
  const recheckMs = options.recheckMs ?? 1000;
  const threshold = options.failureThreshold ?? 3;
  const baseCooldown = options.cooldownMs ?? 5000;
  const maxCooldown = options.maxCooldownMs ?? 60_000;
  const windowMs = options.failureWindowMs ?? 60_000;
  const probeTtlMs = options.probeTtlMs ?? 60_000;
  const log = options.log ?? ((message: string) => console.warn(message));
  const secrets = secretsOf(options.url);
  const local = createHealthMemory(options);
  const connectTimeoutMs = Math.max(1000, budgetMs * 20);

  let mode: 'redis' | 'memory' = 'redis';
  let recheck: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  // Upstreams this process probes, and those that may have shared state a success must clear.
  const probing = new Set<string>();
  const dirty = new Set<string>();

  const owned = options.client === undefined && options.url !== undefined;
  let client: RedisCommandClient | undefined = options.client;
  let connecting: Promise<void> | undefined;
  let ownedClient: { destroy?: () => void } | undefined;

  const keysOf = (upstream: string) => {
    // The braces are a Redis Cluster hash tag: one upstream's keys live in one slot.
    const base = `${prefix}:health:{${upstream}}`;
    return {
      cool: `${base}:cool`,
      tripped: `${base}:tripped`,
      probe: `${base}:probe`,
      failures: `${base}:failures`,
    };
  };

  const goDown = (reason: unknown) => {
    if (closed || mode === 'memory') return;
    mode = 'memory';
    const detail = redactText(reason instanceof Error ? reason.message : String(reason), secrets);
    log(
      `switchyard: the Redis health store is unavailable (${detail}); using this process's memory until it answers again`,
    );
    scheduleRecheck();
  };

  const scheduleRecheck = () => {
    if (closed || recheck !== undefined) return;
    recheck = setTimeout(async () => {
      recheck = undefined;
      const reply = await send(['PING']).catch(() => timedOut);
      if (reply === timedOut) {
        scheduleRecheck();
        return;
      }
      if (closed || mode === 'redis') return;
      mode = 'redis';
      log('switchyard: the Redis health store answers again; health is shared again');
    }, recheckMs);
    (recheck as { unref?: () => void }).unref?.();
  };

  const connect = (): Promise<void> => {
    connecting ??= (async () => {
      // A computed specifier: bundlers must not pull in an optional peer dependency.
      const specifier = '@redis/client';
      let module: { createClient: (options: object) => unknown };
      try {
        module = (await import(/* @vite-ignore */ specifier)) as typeof module;
      } catch {
        throw new Error(
          'health.store is redis but the package @redis/client is not installed (npm install @redis/client)',
        );
      }
      const created = module.createClient({
        url: options.url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: connectTimeoutMs,
          reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, recheckMs * 5),
        },
      }) as RedisCommandClient & {
        on(event: string, listener: (error: unknown) => void): void;
        connect(): Promise<unknown>;
        unref?: () => void;
        destroy?: () => void;
      };
      // Without a listener an 'error' event would crash the process; the store only logs.
      created.on('error', (error) => goDown(error));
      ownedClient = created;
      if (closed) throw new Error('the store is closed');
      await created.connect();
      if (closed) {
        created.destroy?.();
        throw new Error('the store is closed');
      }
      // The connection alone must not keep a process alive.
      created.unref?.();
      // From here on a lost connection makes commands fail at once (no offline queue) while
      // the client reconnects by itself; the store answers from memory meanwhile.
      client = created;
    })();
    return connecting;
  };

  /**
   * One command within the budget; rejects on error or past the budget. `onLate` sees a reply
   * that comes after the budget (to undo what it claimed).
   */
  const send = async (args: string[], onLate?: (reply: unknown) => void): Promise<unknown> => {
    if (client === undefined) {
      if (!owned) throw new Error('no Redis client or url');
      // Connecting runs in the background; this call does not wait for it.
      connect().catch((error: unknown) => goDown(error));
      throw new Error('connecting');
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<typeof timedOut>((resolve) => {
      timer = setTimeout(() => resolve(timedOut), budgetMs);
    });
    try {
      const pending = client.sendCommand(args);
      const reply = await Promise.race([pending, budget]);
      if (reply === timedOut) {
        pending.then(onLate, () => undefined);
        throw new Error(`no answer within ${budgetMs} ms`);
      }
      return reply;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Runs a command; on failure goes to memory mode. Never rejects. */
  const attempt = async (
    args: string[],
    onLate?: (reply: unknown) => void,
  ): Promise<{ ok: true; reply: unknown } | { ok: false }> => {
    try {
      return { ok: true, reply: await send(args, onLate) };
    } catch (error) {
      if (!(error instanceof Error && error.message === 'connecting')) goDown(error);
      return { ok: false };
    }
  };

  const evalScript = (options: {
    script: string;
    keys: string[];
    args: (string | number)[];
    onLate?: (reply: unknown) => void;
  }) =>
    attempt(
      [
        'EVAL',
        options.script,
        String(options.keys.length),
        ...options.keys,
        ...options.args.map(String),
      ],
      options.onLate,
    );

  const store: RedisHealthStore = {
    get mode() {
      return client !== undefined && mode === 'redis' && !closed ? 'redis' : 'memory';
    },
    async connect() {
      if (client === undefined && owned) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waited = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), connectTimeoutMs);
        });
        const connected = await Promise.race([
          connect().then(
            () => true,
            (error: unknown) => {
              goDown(error);
              return false;
            },
          ),
          waited,
        ]);
        clearTimeout(timer);
        if (!connected) return false;
      }
      const outcome = await attempt(['PING']);
      return outcome.ok;
    },
    acquire(upstream, now) {
      if (mode === 'memory' || closed) return local.acquire(upstream, now);
      const keys = keysOf(upstream);
      return evalScript({
        script: acquireScript,
        keys: [keys.cool, keys.tripped, keys.probe, keys.failures],
        args: [probeTtlMs],
        // The answer came too late and this call went on without it: give back a probe it won.
        onLate: (reply) => {
          if (Array.isArray(reply) && Number(reply[0]) === 1 && Number(reply[1]) === 1)
            void attempt(['DEL', keys.probe]);
        },
      }).then((outcome): HealthTicket => {
        if (!outcome.ok || !Array.isArray(outcome.reply)) return local.acquire(upstream, now);
        const [available, value, failures] = outcome.reply.map(Number);
        if (available !== 1) {
          dirty.add(upstream);
          return { available: false, retryInMs: value ?? 0 };
        }
        if (value === 1) {
          probing.add(upstream);
          dirty.add(upstream);
          return { available: true, probe: true };
        }
        if ((failures ?? 0) > 0) dirty.add(upstream);
        return { available: true, probe: false };
      });
    },
    recordSuccess(upstream, now) {
      local.recordSuccess(upstream, now);
      probing.delete(upstream);
      if (!dirty.delete(upstream) || mode === 'memory' || closed) return;
      const keys = keysOf(upstream);
      void attempt(['DEL', keys.failures, keys.cool, keys.tripped, keys.probe]);
    },
    recordFailure(upstream, failure) {
      local.recordFailure(upstream, failure);
      const wasProbe = probing.delete(upstream);
      dirty.add(upstream);
      if (mode === 'memory' || closed) return;
      const keys = keysOf(upstream);
      void evalScript({
        script: failureScript,
        keys: [keys.failures, keys.cool, keys.tripped, keys.probe],
        args: [
          wasProbe ? 1 : 0,
          Math.max(0, Math.round(failure.retryAfterMs ?? 0)),
          threshold,
          baseCooldown,
          maxCooldown,
          windowMs,
        ],
      });
    },
    releaseProbe(upstream) {
      local.releaseProbe(upstream);
      if (!probing.delete(upstream) || mode === 'memory' || closed) return;
      void attempt(['DEL', keysOf(upstream).probe]);
    },
    forget(upstream) {
      // Only this process's view: the shared keys expire on their own, and other processes
      // may still route to the old definition.
      local.forget(upstream);
      probing.delete(upstream);
      dirty.delete(upstream);
    },
    get size() {
      return local.size;
    },
    async close() {
      closed = true;
      clearTimeout(recheck);
      recheck = undefined;
      if (!owned) return;
      try {
        // At once: the store's writes are best effort, and a client still trying to connect
        // would never finish a graceful close.
        ownedClient?.destroy?.();
      } catch {
        // Already closed.
      }
    },
  };
  return store;
}

/** The password (and whole user-info) of a Redis URL, to keep out of log lines. */
function secretsOf(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const parsed = new URL(url);
    return [url, parsed.password, decodeURIComponent(parsed.password)].filter(
      (value) => value.length > 0,
    );
  } catch {
    return [url];
  }
}
