/**
 * `startEmulator()`: an HTTP server on a loopback port that imitates Cloudflare AI Gateway
 * (compat and REST endpoints), Vercel AI Gateway, OpenRouter and a plain OpenAI-compatible
 * endpoint, for tests and `switchyard emulate`. It routes each request, admits it as the gateway
 * would, plays a fault when one applies, and answers chat completions, embeddings and responses.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorState } from './answer-request.ts';
import type { EmulatorCloudflareOptions } from './cloudflare-auth.ts';
import { createDynamicRouteStore } from './dynamic-routes.ts';
import { createOpenAIErrorBody } from './error-bodies.ts';
import { createFaultRegistry } from './fault-registry.ts';
import type { FaultHandle, FaultRule } from './faults.ts';
import type { Personality } from './personality.ts';
import { type Reception, receiveRequest } from './receive-request.ts';
import type { RecordedRequest } from './request-log.ts';
import { createResponseCache } from './response-cache.ts';

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
  const reception = createReception(options);
  const server = createServer((request, response) => {
    receiveRequest({ reception, request, response }).catch((error: unknown) =>
      answerEmulatorError({ response, error }),
    );
  });
  await listen({ server, port });
  // Listening on a TCP host always yields an AddressInfo (a string is only for pipes).
  const address = server.address() as AddressInfo;
  reception.origin = `http://127.0.0.1:${address.port}`;
  return createEmulatorHandle({ server, reception, port: address.port });
}

/** The state every request of one emulator shares, with the start-up fault rules installed. */
function createReception(options: EmulatorOptions): Reception {
  const state: EmulatorState = {
    options,
    clock: options.clock ?? (() => defaultCreated),
    cache: createResponseCache(),
    faults: createFaultRegistry(),
    routes: createDynamicRouteStore({ now: Date.now }),
  };
  for (const rule of options.faults ?? []) state.faults.add(rule);
  return {
    state,
    maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
    origin: '',
    log: [],
    sequence: 0,
    closing: false,
    open: new Set(),
  };
}

function listen(options: { server: Server; port: number }): Promise<void> {
  const { server, port } = options;
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The {@link Emulator} users hold: its address, its log, its fault rules and `close()`. */
function createEmulatorHandle(options: {
  server: Server;
  reception: Reception;
  port: number;
}): Emulator {
  const { server, reception } = options;
  const { state } = reception;
  let closed: Promise<void> | undefined;
  return {
    url: reception.origin,
    origin: reception.origin,
    port: options.port,
    get requests() {
      return [...reception.log];
    },
    clearRequests() {
      reception.log = [];
    },
    inject: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    clearCache: () => state.cache.clear(),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        reception.closing = true;
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Hanging and stalled exchanges would otherwise keep `server.close` waiting forever.
        server.closeAllConnections();
      }).then(() => Promise.all(reception.open).then(() => undefined));
      return closed;
    },
  };
}

/** A bug in the emulator must not pass for a gateway answer: 500 if possible, else cut. */
function answerEmulatorError(options: { response: ServerResponse; error: unknown }): void {
  const { response, error } = options;
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
}
