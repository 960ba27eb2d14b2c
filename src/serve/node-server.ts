/**
 * Runs a `(Request) => Promise<Response>` handler on `node:http`. A small adapter of our own
 * rather than a framework's: it is the only Node-specific part of `switchyard serve`, and doing
 * it here keeps the package at its four runtime dependencies while handling what a proxy needs:
 * request bodies streamed in (never buffered by the adapter), response bodies written with
 * backpressure (`write()` returning false waits for `drain`), a client that disconnects aborts
 * its request's signal and cancels the response stream, and a graceful close.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

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
};

/** Options of `close()`. */
export type CloseNodeServerOptions = {
  /**
   * How long requests in flight may run on after the server stops accepting new ones, in
   * milliseconds; the ones still running then are cut off.
   * @default 10_000
   */
  graceMs?: number;
};

/** A running server. */
export type NodeServer = {
  /** `http://<host>:<port>` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Requests being answered now (a stream counts until its last byte). */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then cuts
   * off the rest. Resolves with how many were cut off. Calling it again returns the same promise.
   */
  close(options?: CloseNodeServerOptions): Promise<{ cutOff: number }>;
};

/** Starts listening; resolves once the port is bound. */
export async function startNodeServer(options: StartNodeServerOptions): Promise<NodeServer> {
  const host = options.host ?? '127.0.0.1';
  const active = new Set<AbortController>();
  let idle: (() => void) | undefined;
  const server: Server = createServer({ requestTimeout: 0 }, (incoming, outgoing) => {
    const controller = new AbortController();
    active.add(controller);
    handle({ incoming, outgoing, controller, handler: options.handler }).finally(() => {
      active.delete(controller);
      if (active.size === 0) idle?.();
    });
  });
  server.keepAliveTimeout = 5_000;
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
      return active.size;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        const graceMs = closeOptions.graceMs ?? 10_000;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let cutOff = 0;
        if (active.size > 0) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const drained = new Promise<boolean>((resolve) => {
            idle = () => resolve(true);
            timer = setTimeout(() => resolve(false), graceMs);
          });
          const clean = await drained;
          clearTimeout(timer);
          if (!clean) {
            cutOff = active.size;
            for (const controller of active) controller.abort(new Error('server shutting down'));
          }
        }
        server.closeAllConnections();
        await closed;
        return { cutOff };
      })();
      return closing;
    },
  };
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
    const response = await options.handler(toRequest(incoming, controller.signal));
    await writeResponse({ response, outgoing, signal: controller.signal });
  } catch {
    if (!outgoing.headersSent) {
      outgoing.writeHead(500, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({
          error: {
            message: 'internal error in switchyard serve',
            type: 'server_error',
            param: null,
            code: null,
          },
        }),
      );
    } else {
      outgoing.destroy();
    }
  } finally {
    outgoing.off('close', onClose);
  }
}

function toRequest(incoming: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let index = 0; index + 1 < incoming.rawHeaders.length; index += 2) {
    const name = incoming.rawHeaders[index] as string;
    // Hop-by-hop and pseudo headers do not belong to the request a handler sees.
    if (name.startsWith(':')) continue;
    headers.append(name, incoming.rawHeaders[index + 1] as string);
  }
  const method = incoming.method ?? 'GET';
  const url = `http://${incoming.headers.host ?? 'localhost'}${incoming.url ?? '/'}`;
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

// A Host header the URL parser refuses must not crash the request.
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
