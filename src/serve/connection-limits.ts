/**
 * The connection limits of `startNodeServer`: a header timer per connection (so silent and
 * trickling clients are closed), a receive timer per request body (408), and the limits' defaults
 * and checks. Node's own `headersTimeout` only starts counting at a request's first byte; these
 * timers cover a connection that never sends one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The connection limits, in milliseconds and connections. */
export type Limits = {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
};

/** The defaults of `startNodeServer`'s limits, in milliseconds and connections. */
export const nodeServerDefaults: Readonly<Limits> = Object.freeze({
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
});

/** The limits set in `options` (the others keep their defaults). */
export function definedOnly(options: Partial<Limits>): Partial<Limits> {
  const picked: Partial<Limits> = {};
  for (const name of Object.keys(nodeServerDefaults) as (keyof Limits)[]) {
    const value = options[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Throws a `RangeError` naming a limit that is not a whole number above 0. */
export function checkLimits(limits: Limits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`startNodeServer: ${name} must be a whole number above 0, not ${value}`);
    }
  }
}

// One timer per connection waiting for a request's headers, and its requests being answered.
export const headerTimers = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
const requestsOnSocket = new WeakMap<Socket, number>();

/** Closes the connection unless a request's headers arrive within `ms`. */
export function armHeaderTimer(socket: Socket, ms: number): void {
  clearTimeout(headerTimers.get(socket));
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  headerTimers.set(socket, timer);
}

/** Options of {@link watchRequest}. */
export type WatchRequestOptions = {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  readonly limits: Limits;
};

/**
 * A request's headers are in: its connection's header timer stops, its body gets
 * `requestTimeoutMs` to arrive, and once the response is sent a kept-alive connection has
 * `keepAliveTimeoutMs + headersTimeoutMs` for the next request's headers.
 */
export function watchRequest({ incoming, outgoing, limits }: WatchRequestOptions): void {
  const socket = incoming.socket;
  clearTimeout(headerTimers.get(socket));
  // Pipelined requests overlap: the header timer waits for the last one's response.
  requestsOnSocket.set(socket, (requestsOnSocket.get(socket) ?? 0) + 1);
  if (!incoming.complete) {
    const timer = setTimeout(() => {
      if (incoming.complete) return;
      if (!outgoing.headersSent) {
        writeError({
          outgoing,
          status: 408,
          headers: { connection: 'close' },
          error: {
            message: `The request body did not arrive within ${limits.requestTimeoutMs} ms.`,
            type: 'invalid_request_error',
            code: 'request_timeout',
          },
        });
      }
      socket.destroySoon();
    }, limits.requestTimeoutMs);
    timer.unref();
    incoming.once('end', () => clearTimeout(timer));
    incoming.once('close', () => clearTimeout(timer));
  }
  outgoing.once('close', () => {
    const left = (requestsOnSocket.get(socket) ?? 1) - 1;
    requestsOnSocket.set(socket, left);
    if (left === 0 && !socket.destroyed) {
      armHeaderTimer(socket, limits.keepAliveTimeoutMs + limits.headersTimeoutMs);
    }
  });
}

/** Options of {@link writeError}. */
export type WriteErrorOptions = {
  readonly outgoing: ServerResponse;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly error: { message: string; type: string; code: string | null };
};

/** An OpenAI-shaped JSON error, for the answers this adapter gives itself. */
export function writeError({ outgoing, status, headers, error }: WriteErrorOptions): void {
  outgoing.writeHead(status, { 'content-type': 'application/json', ...headers });
  outgoing.end(JSON.stringify({ error: { ...error, param: null } }));
}
