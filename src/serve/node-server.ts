/**
 * Runs a `(Request) => Promise<Response>` handler on `node:http`. A small adapter of our own
 * rather than a framework's: it is the only Node-specific part of `switchyard serve`, and doing
 * it here keeps the package at its four runtime dependencies while handling what a proxy needs:
 * request bodies streamed in (never buffered by the adapter), response bodies written with
 * backpressure (`write()` returning false waits for `drain`), a client that disconnects aborts
 * its request's signal and cancels the response stream, and a graceful close.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import {
  armHeaderTimer,
  checkLimits,
  definedOnly,
  headerTimers,
  type Limits,
  nodeServerDefaults,
  watchRequest,
  writeError,
} from './connection-limits.ts';

/** Options of {@link startNodeServer}. */
export type StartNodeServerOptions = {
  /** The request handler. */
  handler: (request: Request) => Promise<Response>;
  /**
   * Address to bind.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * How long a client has to send a request's headers, in milliseconds: counted from the
   * connection (or, on a kept-alive connection, from the end of the previous response plus
   * `keepAliveTimeoutMs`). A connection that has not sent them whole by then is closed, so
   * silent or trickling clients cannot hold sockets.
   * @default 15_000
   */
  headersTimeoutMs?: number;
  /**
   * How long a request's body may take to arrive once its headers are in, in milliseconds;
   * then the request gets 408 and its connection is closed. It does not limit the response: a
   * stream may run as long as its upstream does.
   * @default 60_000
   */
  requestTimeoutMs?: number;
  /**
   * How long an idle kept-alive connection stays open, in milliseconds.
   * @default 5_000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Most connections open at once; further ones are closed as soon as they are accepted.
   * @default 1024
   */
  maxConnections?: number;
};

/** Options of `close()`. */
export type CloseNodeServerOptions = {
  /**
   * How long requests in flight may run on after the server stops accepting new ones, in
   * milliseconds; the ones still running then are cut off.
   * @default 10_000
   */
  graceMs?: number;
  /**
   * Called when `graceMs` has passed with requests still running, before they are cut off: a
   * chance to end them in their own way (`router.close()` ends each open stream with an error
   * event). What is still running a second later is cut off.
   * @default undefined (cut off at once)
   */
  beforeCutOff?: () => Promise<void> | void;
};

/** A running server. */
export type NodeServer = {
  /** `http://<host>:<port>` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Requests being answered now (a stream counts until its last byte). */
  readonly inFlight: number;
  /** Connections open now. */
  readonly connections: number;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then cuts
   * off the rest. Resolves with how many were cut off. Calling it again returns the same promise.
   */
  close(options?: CloseNodeServerOptions): Promise<{ cutOff: number }>;
};

/** How long requests may take to end themselves after `beforeCutOff`, in milliseconds. */
const cutOffWaitMs = 1_000;

/** Starts listening; resolves once the port is bound. */
export async function startNodeServer(options: StartNodeServerOptions): Promise<NodeServer> {
  const host = options.host ?? '127.0.0.1';
  const limits = { ...nodeServerDefaults, ...definedOnly(options) };
  checkLimits(limits);
  const state: ServerState = { active: new Set(), sockets: new Set(), idle: undefined };
  const server = createLimitedServer({ handler: options.handler, limits, state });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a burst of connections (a thousand clients at once) waits to be
    // accepted instead of being reset. The kernel caps it at net.core.somaxconn.
    server.listen({ port: options.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<{ cutOff: number }> | undefined;
  return {
    url,
    host,
    port,
    get inFlight() {
      return state.active.size;
    },
    get connections() {
      return state.sockets.size;
    },
    close(closeOptions = {}) {
      closing ??= closeServer({ server, state, options: closeOptions });
      return closing;
    },
  };
}

/** Requests and connections of one server. */
type ServerState = {
  readonly active: Set<AbortController>;
  readonly sockets: Set<Socket>;
  /** Called when the last request in flight ends. */
  idle: (() => void) | undefined;
};

type CreateLimitedServerOptions = {
  readonly handler: StartNodeServerOptions['handler'];
  readonly limits: Limits;
  readonly state: ServerState;
};

/** The `node:http` server with its limits and the per-connection header timer. */
function createLimitedServer({ handler, limits, state }: CreateLimitedServerOptions): Server {
  const server = createServer(
    {
      // Node's own checks back ours up; ours also cover a connection that never sends a byte.
      headersTimeout: limits.headersTimeoutMs,
      // Node counts from the request's first byte; ours (with its JSON 408) fires first.
      requestTimeout: limits.requestTimeoutMs + limits.headersTimeoutMs + 1_000,
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    (incoming, outgoing) => {
      const controller = new AbortController();
      state.active.add(controller);
      watchRequest({ incoming, outgoing, limits });
      handle({ incoming, outgoing, controller, handler }).finally(() => {
        state.active.delete(controller);
        if (state.active.size === 0) state.idle?.();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    state.sockets.add(socket);
    socket.once('close', () => {
      state.sockets.delete(socket);
      clearTimeout(headerTimers.get(socket));
    });
    armHeaderTimer(socket, limits.headersTimeoutMs);
  });
  return server;
}

type CloseServerOptions = {
  readonly server: Server;
  readonly state: ServerState;
  readonly options: CloseNodeServerOptions;
};

/** The graceful close: stop accepting, wait for the grace, let `beforeCutOff` act, cut off. */
async function closeServer({ server, state, options }: CloseServerOptions) {
  const drained = (ms: number) => {
    if (state.active.size === 0) return Promise.resolve(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise<boolean>((resolve) => {
      state.idle = () => resolve(true);
      timer = setTimeout(() => resolve(false), ms);
    }).finally(() => clearTimeout(timer));
  };
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let cutOff = 0;
  if (!(await drained(options.graceMs ?? 10_000))) {
    cutOff = state.active.size;
    if (options.beforeCutOff !== undefined) {
      try {
        await options.beforeCutOff();
      } catch {
        // Cutting off follows whatever the hook did.
      }
      await drained(cutOffWaitMs);
    }
    for (const controller of state.active) controller.abort(new Error('server shutting down'));
  }
  server.closeAllConnections();
  await closed;
  return { cutOff };
}

type HandleOptions = {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  controller: AbortController;
  handler: (request: Request) => Promise<Response>;
};

async function handle(options: HandleOptions): Promise<void> {
  const { incoming, outgoing, controller } = options;
  // The client went away before the answer was complete: abort the call it started.
  const onClose = () => {
    if (!outgoing.writableFinished) controller.abort(new Error('client disconnected'));
  };
  outgoing.once('close', onClose);
  try {
    if (unservedMethods.has(incoming.method ?? '')) {
      writeError({
        outgoing,
        status: 405,
        headers: { allow: 'GET, HEAD, POST, OPTIONS' },
        error: {
          message: `${incoming.method} is not served; use GET or POST.`,
          type: 'invalid_request_error',
          code: 'method_not_allowed',
        },
      });
      return;
    }
    const response = await options.handler(toRequest(incoming, controller.signal));
    await writeResponse({ response, outgoing, signal: controller.signal });
  } catch {
    if (!outgoing.headersSent) {
      writeError({
        outgoing,
        status: 500,
        error: { message: 'internal error in switchyard serve', type: 'server_error', code: null },
      });
    } else {
      outgoing.destroy();
    }
  } finally {
    outgoing.off('close', onClose);
  }
}

// Methods a web `Request` cannot carry (and no route takes): answered here, with 405.
const unservedMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);

function toRequest(incoming: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let index = 0; index + 1 < incoming.rawHeaders.length; index += 2) {
    const name = incoming.rawHeaders[index] as string;
    // Hop-by-hop and pseudo headers do not belong to the request a handler sees.
    if (name.startsWith(':')) continue;
    headers.append(name, incoming.rawHeaders[index + 1] as string);
  }
  const method = incoming.method ?? 'GET';
  // The route comes from the request target's path only, never from the Host header: a Host
  // such as "x/v1/chat/completions?" must not turn POST /healthz into a chat call.
  const url = `http://localhost${pathOf(incoming.url ?? '/')}`;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(safeURL(url), {
    method,
    headers,
    signal,
    ...(hasBody
      ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: 'half' }
      : {}),
  } as RequestInit);
}

/** The path and query of a request target (origin form `/p?q`, or absolute form `http://h/p?q`). */
function pathOf(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const parsed = new URL(target);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return '/';
  }
}

// A request target the URL parser refuses must not crash the request.
function safeURL(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return 'http://localhost/';
  }
}

async function writeResponse(options: {
  response: Response;
  outgoing: ServerResponse;
  signal: AbortSignal;
}): Promise<void> {
  const { response, outgoing, signal } = options;
  // Answered already (the body timed out with 408) or the client is gone.
  if (outgoing.headersSent || outgoing.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  outgoing.writeHead(response.status, headers);
  if (response.body === null) {
    outgoing.end();
    return;
  }
  // Streams go out as soon as each chunk is written.
  outgoing.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => {
    reader.cancel(signal.reason).catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (outgoing.destroyed) {
        cancel();
        return;
      }
      if (!outgoing.write(value)) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            outgoing.off('drain', resume);
            outgoing.off('close', resume);
            resolve();
          };
          outgoing.on('drain', resume);
          outgoing.on('close', resume);
        });
      }
    }
    outgoing.end();
  } catch {
    outgoing.destroy();
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
