/**
 * The Redis connection behind the shared health store: a client you pass in, or one opened from
 * a URL with the optional peer `@redis/client` (imported only then, the first call waiting for
 * it within its budget); every command within a time budget; and the switch to local memory
 * while Redis is slow, down or refuses the store's scripts (logged once per outage, without the
 * URL's password), with a background check, backing off while the same error repeats, until
 * Redis runs a script again. Nothing here throws into a call.
 */
import { redactText } from '../internal/redact.ts';

/** The part of a Redis client the store uses (`@redis/client`'s `createClient()` has it). */
export type RedisCommandClient = {
  /** Sends one command, e.g. `['PING']`; resolves with the reply. */
  sendCommand(args: string[]): Promise<unknown>;
};

/** What a connection is made from: the store's options with their defaults applied. */
export type RedisConnectionSettings = {
  /** The URL to open a connection from, when no `client` is given. */
  readonly url: string | undefined;
  /** A connected client of the caller's (never closed here). */
  readonly client: RedisCommandClient | undefined;
  /** Time budget of one command, in ms. */
  readonly budgetMs: number;
  /** First wait before checking whether an unreachable Redis answers again, in ms. */
  readonly recheckMs: number;
  /** Longest wait between two checks (each failed check doubles the wait), in ms. */
  readonly maxRecheckMs: number;
  /** Where the once-per-outage messages go. */
  readonly log: (message: string) => void;
  /** Timers and time of the background checks. */
  readonly clock: RedisStoreClock;
};

/** The timers and time the background checks use (injectable in tests). */
export type RedisStoreClock = {
  /** The time now, in ms. */
  now(): number;
  /** Runs `callback` after `ms`; the handle goes to `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer from `setTimeout`. */
  clearTimeout(handle: unknown): void;
};

/** The real clock; its timers do not keep a process alive. */
export const systemClock: RedisStoreClock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Checks that Redis answers and lets this user run scripts, as the store's own steps need. */
const recheckCommand = ['EVAL', 'return 1', '0'];

const timedOut = Symbol('timed out');

/** The client the store creates from a URL (`@redis/client`). */
type OwnedClient = RedisCommandClient & {
  on(event: string, listener: (error: unknown) => void): void;
  connect(): Promise<unknown>;
  unref?: () => void;
  destroy?: () => void;
};

/** A connection's settings and where it stands. */
export type RedisConnection = RedisConnectionSettings & {
  readonly connectTimeoutMs: number;
  /** What log lines must not show (the URL's password). */
  readonly secrets: readonly string[];
  /** Whether the store opens (and so closes) the connection itself. */
  readonly owned: boolean;
  mode: 'redis' | 'memory';
  recheck: unknown;
  /** Failed checks in the current outage: the next wait is `recheckMs × 2^failedChecks`. */
  failedChecks: number;
  /** Why the store last went to memory (without secrets), and when it last came back. */
  lastReason: string | undefined;
  backAt: number | undefined;
  /** Whether an "unavailable" line is standing, to be followed by one "shared again". */
  announced: boolean;
  /** Whether Redis has answered a command on this connection yet. */
  answered: boolean;
  closed: boolean;
  client: RedisCommandClient | undefined;
  connecting: Promise<void> | undefined;
  ownedClient: { destroy?: () => void } | undefined;
};

/** A connection that does no I/O until a command needs it. */
export function createRedisConnection(settings: RedisConnectionSettings): RedisConnection {
  return {
    ...settings,
    connectTimeoutMs: Math.max(1000, settings.budgetMs * 20),
    secrets: secretsOf(settings.url),
    owned: settings.client === undefined && settings.url !== undefined,
    mode: 'redis',
    recheck: undefined,
    failedChecks: 0,
    lastReason: undefined,
    backAt: undefined,
    announced: false,
    answered: false,
    closed: false,
    connecting: undefined,
    ownedClient: undefined,
  };
}

/** Whether the store answers from local memory (Redis unavailable, or the store closed). */
export function isOffline(connection: RedisConnection): boolean {
  return connection.mode === 'memory' || connection.closed;
}

/**
 * Switches to local memory, logs once per outage (without secrets), and starts checking for
 * Redis. The same error soon after Redis came back continues the outage: no new line, and the
 * checks keep backing off (a Redis that answers a check but fails the next step must not flap).
 */
function goDown(connection: RedisConnection, reason: unknown): void {
  if (isOffline(connection)) return;
  connection.mode = 'memory';
  const message = reason instanceof Error ? reason.message : String(reason);
  const detail = redactText(message, connection.secrets);
  const { backAt } = connection;
  const relapse =
    detail === connection.lastReason &&
    backAt !== undefined &&
    connection.clock.now() - backAt < connection.maxRecheckMs;
  connection.lastReason = detail;
  if (relapse) {
    connection.failedChecks += 1;
  } else {
    connection.failedChecks = 0;
    connection.announced = true;
    connection.log(outageMessage(detail));
  }
  scheduleRecheck(connection);
}

/** The line logged when the store goes to memory: a refused permission is named as such. */
function outageMessage(detail: string): string {
  const denied = /NOPERM[^']*'([a-z|]+)'/i.exec(detail);
  if (denied !== null) {
    const command = (denied[1] ?? '').toUpperCase();
    const grant = /^EVAL/.test(command) ? '+@scripting (or +eval)' : `+${command.toLowerCase()}`;
    return `switchyard: the Redis health store cannot share health: Redis refuses the ${command} command to this user (${detail}); grant it with ACL SETUSER <user> ${grant}, or use health.store: memory. Using this process's memory meanwhile`;
  }
  return `switchyard: the Redis health store is unavailable (${detail}); using this process's memory until it answers again`;
}

function scheduleRecheck(connection: RedisConnection): void {
  if (connection.closed || connection.recheck !== undefined) return;
  const { recheckMs, maxRecheckMs, failedChecks } = connection;
  const waitMs = Math.min(maxRecheckMs, recheckMs * 2 ** Math.min(failedChecks, 30));
  connection.recheck = connection.clock.setTimeout(() => void recheck(connection), waitMs);
}

/**
 * One background check (a one-line script: Redis answers, and lets this user run scripts):
 * back to Redis when it passes, else check again after twice the wait.
 */
async function recheck(connection: RedisConnection): Promise<void> {
  connection.recheck = undefined;
  const reply = await send(connection, recheckCommand).catch(() => timedOut);
  if (connection.closed || connection.mode === 'redis') return;
  if (reply === timedOut) {
    connection.failedChecks += 1;
    scheduleRecheck(connection);
    return;
  }
  connection.mode = 'redis';
  connection.backAt = connection.clock.now();
  if (!connection.announced) return;
  connection.announced = false;
  connection.log('switchyard: the Redis health store answers again; health is shared again');
}

/** Imports the optional peer `@redis/client`, with a clear error when it is missing. */
async function importRedisClient(): Promise<{ createClient: (options: object) => unknown }> {
  // A computed specifier: bundlers must not pull in an optional peer dependency.
  const specifier = '@redis/client';
  try {
    return (await import(/* @vite-ignore */ specifier)) as {
      createClient: (options: object) => unknown;
    };
  } catch {
    throw new Error(
      'health.store is redis but the package @redis/client is not installed (npm install @redis/client)',
    );
  }
}

/** Opens the store's own connection from `url`, once; later calls share the first attempt. */
function connectOwned(connection: RedisConnection): Promise<void> {
  connection.connecting ??= openOwnedClient(connection).catch((error: unknown) => {
    // A refused connection (a wrong password, say) is tried afresh by the next check.
    connection.connecting = undefined;
    try {
      connection.ownedClient?.destroy?.();
    } catch {
      // Already closed.
    }
    throw error;
  });
  return connection.connecting;
}

async function openOwnedClient(connection: RedisConnection): Promise<void> {
  const module = await importRedisClient();
  const created = module.createClient({
    url: connection.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connection.connectTimeoutMs,
      reconnectStrategy: (retries: number) =>
        Math.min(100 * 2 ** retries, connection.recheckMs * 5),
    },
  }) as OwnedClient;
  // Without a listener an 'error' event would crash the process; the store only logs.
  created.on('error', (error) => goDown(connection, error));
  connection.ownedClient = created;
  if (connection.closed) throw new Error('the store is closed');
  await created.connect();
  if (connection.closed) {
    created.destroy?.();
    throw new Error('the store is closed');
  }
  // The connection alone must not keep a process alive.
  created.unref?.();
  // From here on a lost connection makes commands fail at once (no offline queue) while
  // the client reconnects by itself; the store answers from memory meanwhile.
  connection.client = created;
}

/**
 * One command within the budget; rejects on error or past the budget. `onLate` sees a reply
 * that comes after the budget (to undo what it claimed).
 */
async function send(
  connection: RedisConnection,
  args: string[],
  onLate?: (reply: unknown) => void,
): Promise<unknown> {
  // Waiting for the connection has its own budget: a command must not inherit the little
  // time a slow connect left.
  const client = connection.client ?? (await clientWithin(connection));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const { budgetMs } = connection;
  const budget = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), budgetMs);
  });
  try {
    const pending = client.sendCommand(args);
    const reply = await Promise.race([pending, budget]);
    if (reply === timedOut) {
      pending.then(onLate, () => undefined);
      // The first commands on a new connection pay for its warm-up (in the client and on a
      // loaded machine): too late is not an outage until one reply has come back.
      if (!connection.answered) {
        pending.then(
          () => {
            connection.answered = true;
          },
          () => undefined,
        );
        throw new Error('connecting');
      }
      throw new Error(`no answer within ${budgetMs} ms`);
    }
    connection.answered = true;
    return reply;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts opening the store's own connection in the background (a store made from a URL), so the
 * first call finds it open or nearly so. Failures go to memory mode, logged once.
 */
export function startConnecting(connection: RedisConnection): void {
  if (!connection.owned || connection.client !== undefined || connection.closed) return;
  connectOwned(connection).catch((error: unknown) => goDown(connection, error));
}

/**
 * The store's client: the first commands of a process wait for the connection within their
 * budget (so a cold start already sees shared health); past it, the connection goes on in the
 * background and the command throws `connecting` (the call uses local memory, nothing logged).
 */
async function clientWithin(connection: RedisConnection): Promise<RedisCommandClient> {
  if (!connection.owned) throw new Error('no Redis client or url');
  const connecting = connectOwned(connection);
  connecting.catch((error: unknown) => goDown(connection, error));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), connection.budgetMs);
  });
  try {
    const outcome = await Promise.race([connecting.then(() => connection.client), budget]);
    if (outcome === timedOut || outcome === undefined) throw new Error('connecting');
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command; on failure goes to memory mode. Never rejects. */
export async function attempt(
  connection: RedisConnection,
  args: string[],
  onLate?: (reply: unknown) => void,
): Promise<{ ok: true; reply: unknown } | { ok: false }> {
  try {
    return { ok: true, reply: await send(connection, args, onLate) };
  } catch (error) {
    if (!(error instanceof Error && error.message === 'connecting')) goDown(connection, error);
    return { ok: false };
  }
}

/** Runs a Lua script with its keys and arguments through {@link attempt}. Never rejects. */
export function evalScript(
  connection: RedisConnection,
  options: {
    script: string;
    keys: string[];
    args: (string | number)[];
    onLate?: (reply: unknown) => void;
  },
): Promise<{ ok: true; reply: unknown } | { ok: false }> {
  const { script, keys, args } = options;
  const command = ['EVAL', script, String(keys.length), ...keys, ...args.map(String)];
  return attempt(connection, command, options.onLate);
}

/**
 * Connects now: opens the store's own connection (within its time limit) when it has none yet,
 * then sends a PING. Resolves whether Redis answered; never rejects.
 */
export async function connectNow(connection: RedisConnection): Promise<boolean> {
  if (connection.client === undefined && connection.owned) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), connection.connectTimeoutMs);
    });
    const opened = connectOwned(connection).then(
      () => true,
      (error: unknown) => {
        goDown(connection, error);
        return false;
      },
    );
    const connected = await Promise.race([opened, waited]);
    clearTimeout(timer);
    if (!connected) return false;
  }
  const outcome = await attempt(connection, ['PING']);
  return outcome.ok;
}

/** Stops the background check and ends a connection the store opened (not the caller's client). */
export async function closeConnection(connection: RedisConnection): Promise<void> {
  connection.closed = true;
  if (connection.recheck !== undefined) connection.clock.clearTimeout(connection.recheck);
  connection.recheck = undefined;
  if (!connection.owned) return;
  try {
    // At once: the store's writes are best effort, and a client still trying to connect
    // would never finish a graceful close.
    connection.ownedClient?.destroy?.();
  } catch {
    // Already closed.
  }
}

/** The password (and whole user-info) of a Redis URL, to keep out of log lines. */
export function secretsOf(url: string | undefined): string[] {
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
