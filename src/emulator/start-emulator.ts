/**
 * `startEmulator()`: an HTTP server on a loopback port that imitates Cloudflare AI Gateway
 * (compat and REST endpoints), Vercel AI Gateway, OpenRouter and a plain OpenAI-compatible
 * endpoint, for tests and `switchyard emulate`. It routes each request, admits it as the gateway
 * would, plays a fault when one applies, and answers chat completions, embeddings and responses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type EmulatorState, handleApiRequest } from './answer-request.ts';
import type { EmulatorCloudflareOptions } from './cloudflare-auth.ts';
import { controlPrefix, handleControlRequest } from './control-routes.ts';
import { createDynamicRouteStore } from './dynamic-routes.ts';
import { createOpenAIErrorBody } from './error-bodies.ts';
import { type Exchange, sendOpenAIError } from './exchange.ts';
import { createFaultRegistry } from './fault-registry.ts';
import type { FaultHandle, FaultRule } from './faults.ts';
import { isRecord } from './is-record.ts';
import type { Personality } from './personality.ts';
import { BodyTooLargeError, parseBody, readBody } from './read-body.ts';
import { flattenHeaders, type RecordedRequest, type RequestLogEntry } from './request-log.ts';
import { createResponseCache } from './response-cache.ts';
import { matchRoute } from './routes.ts';

/** Options for {@link startEmulator}. Every field is optional. */
export type EmulatorOptions = {
  /** TCP port on 127.0.0.1; `0` picks a free ephemeral port. @default 0 */
  port?: number;
  /**
   * Bearer keys accepted on OpenAI-compatible routes; any other key gets 401
   * `invalid_api_key`. @default undefined (any non-empty bearer key is accepted)
   */
  apiKeys?: readonly string[];
  /**
   * Serve OpenAI-compatible routes without an `Authorization` header (like a local model
   * server). A key that is sent is still checked against `apiKeys`. @default false
   */
  allowMissingApiKey?: boolean;
  /** Cloudflare AI Gateway emulation: gateways, their auth and stored keys. @default {} */
  cloudflare?: EmulatorCloudflareOptions;
  /**
   * Fixed delay before every admitted request's answer, in milliseconds (e.g. for benchmarks).
   * Added to any `delay` fault. @default 0
   */
  latencyMs?: number;
  /**
   * Per-model delay in milliseconds, keyed by the request's `model`; replaces `latencyMs` for
   * that model. @default {}
   */
  modelLatencyMs?: Readonly<Record<string, number>>;
  /**
   * Source of `created` (Unix seconds) in completions. Fixed by default so answers are
   * reproducible byte for byte. @default () => 1_700_000_000
   */
  clock?: () => number;
  /** Fault rules installed at start, as if passed to `inject` in order. @default [] */
  faults?: readonly FaultRule[];
  /** Largest accepted request body, in bytes; larger bodies get 413. @default 10_485_760 (10 MiB) */
  maxBodyBytes?: number;
  /**
   * Which gateway an OpenAI-compatible route imitates, by path prefix: its error bodies, its
   * mid-stream error chunk, its SSE comments. Cloudflare's compat routes always imitate
   * Cloudflare; paths that match no prefix imitate OpenAI.
   * @default { '/api/v1/': 'openrouter', '/vercel/': 'vercel' }
   */
  personalities?: Readonly<Record<string, Personality>>;
};

/** A running emulator. */
export type Emulator = {
  /** Base URL, `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Same as `url`: the origin every route lives under. */
  readonly origin: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /**
   * A snapshot of every request received, in arrival order (control routes under
   * `/__emulator/` excepted). Entries of requests still in flight fill in as they finish.
   */
  readonly requests: readonly RecordedRequest[];
  /** Empties the request log (sequence numbers keep counting). */
  clearRequests(): void;
  /**
   * Adds a fault rule after the existing ones. Rules are checked in insertion order; the first
   * live match applies and spends one of its `times`.
   * @throws TypeError when the rule or its fault is malformed.
   */
  inject(rule: FaultRule): FaultHandle;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Forgets every cached response, so the next request is a `MISS` again. */
  clearCache(): void;
  /**
   * Stops listening and ends every connection, including hanging and stalled ones, clearing
   * their timers. Resolves once the server is closed and every log entry has its outcome;
   * calling it again returns the same promise.
   */
  close(): Promise<void>;
};

/** `created` when no clock is given: a fixed instant (2023-11-14T22:13:20Z). */
export const defaultCreated = 1_700_000_000;

const defaultMaxBodyBytes = 10 * 1024 * 1024;

/**
 * Starts the gateway emulator on 127.0.0.1: Cloudflare AI Gateway `/compat` routes and
 * OpenAI-compatible routes, deterministic answers, gateway auth rules, fault injection and a
 * request log. Resolves once it is listening.
 *
 * @example
 * const emulator = await startEmulator({ cloudflare: { gateways: { 'acct/gw': { token: 't' } } } });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${emulator.url}/v1/acct/gw/compat` });
 * // ... later
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Emulator port must be an integer from 0 to 65535, got ${port}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const state: EmulatorState = {
    options,
    clock: options.clock ?? (() => defaultCreated),
    cache: createResponseCache(),
    faults: createFaultRegistry(),
    routes: createDynamicRouteStore({ now: Date.now }),
  };
  for (const rule of options.faults ?? []) {
    state.faults.add(rule);
  }
  let log: RequestLogEntry[] = [];
  let sequence = 0;
  let closing = false;
  let origin = '';
  // Exchanges still open; `close()` waits for them so their log entries are final.
  const open = new Set<Promise<void>>();

  const handleRequest = async (request: IncomingMessage, response: ServerResponse) => {
    const time = performance.now();
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname.startsWith(controlPrefix)) {
      await handleControlRequest({
        request,
        response,
        pathname: url.pathname,
        requests: () => log,
        clearRequests: () => {
          log = [];
        },
        faults: state.faults,
        maxBodyBytes,
      });
      return;
    }
    const requestHeaders = flattenHeaders(request.headers);
    // Cloudflare's routes API (configuration, not inference): not in the request log.
    if (
      await state.routes.handle({
        request,
        response,
        pathname: url.pathname,
        headers: requestHeaders,
        apiTokens: options.cloudflare?.apiTokens,
        maxBodyBytes,
      })
    ) {
      return;
    }
    const route = matchRoute(url.pathname, requestHeaders);
    const entry: RequestLogEntry = {
      seq: ++sequence,
      time,
      method: request.method ?? 'GET',
      path: url.pathname,
      url: url.href,
      headers: requestHeaders,
      body: undefined,
      kind: route?.kind ?? 'unknown',
      stream: false,
    };
    if (route !== undefined) {
      entry.endpoint = route.endpoint;
    }
    if (route?.kind === 'cloudflare') {
      entry.accountId = route.accountId;
      entry.gatewayId = route.gatewayId;
    }
    // Logged on arrival, before the body is read, so the log keeps arrival order and records
    // even requests that never get an answer.
    log.push(entry);
    const controller = new AbortController();
    const exchange: Exchange = { request, response, entry, signal: controller.signal };
    const closed = new Promise<void>((resolve) => {
      response.on('close', () => {
        controller.abort();
        entry.durationMs = performance.now() - time;
        entry.outcome ??= response.writableFinished
          ? 'completed'
          : closing
            ? 'emulator-closed'
            : 'client-closed';
        open.delete(closed);
        resolve();
      });
    });
    open.add(closed);

    let text: string;
    try {
      text = await readBody({ request, limit: maxBodyBytes });
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendOpenAIError({
          exchange,
          status: 413,
          message: error.message,
          code: 'request_too_large',
        });
      }
      return;
    }
    entry.body = parseBody(text);
    if (isRecord(entry.body)) {
      const { model, stream } = entry.body;
      if (typeof model === 'string') {
        entry.model = model;
      }
      entry.stream = stream === true;
    }
    if (route === undefined) {
      sendOpenAIError({
        exchange,
        status: 404,
        message: `Unknown path ${url.pathname}`,
        code: 'not_found',
      });
      return;
    }
    if (request.method !== 'POST') {
      sendOpenAIError({
        exchange,
        status: 405,
        message: `Method ${entry.method} not allowed on ${url.pathname}; use POST`,
        code: 'method_not_allowed',
        headers: { allow: 'POST' },
      });
      return;
    }
    await handleApiRequest({ exchange, route, state });
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      // A bug in the emulator must not pass for a gateway answer: 500 if possible, else cut.
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      const text = JSON.stringify(
        createOpenAIErrorBody({
          message: `Emulator error: ${String(error)}`,
          type: 'server_error',
          code: 'emulator_error',
        }),
      );
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(text);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Listening on a TCP host always yields an AddressInfo (a string is only for pipes).
  const address = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url: origin,
    origin,
    port: address.port,
    get requests() {
      return [...log];
    },
    clearRequests() {
      log = [];
    },
    inject: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    clearCache: () => state.cache.clear(),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Hanging and stalled exchanges would otherwise keep `server.close` waiting forever.
        server.closeAllConnections();
      }).then(() => Promise.all(open).then(() => undefined));
      return closed;
    },
  };
}
