/**
 * `startEmulator()`: an HTTP server on a loopback port that imitates Cloudflare AI Gateway
 * (compat and REST endpoints), Vercel AI Gateway, OpenRouter and a plain OpenAI-compatible
 * endpoint, for tests and `switchyard emulate`. It routes each request, admits it as the gateway
 * would, plays a fault when one applies, and answers chat completions, embeddings and responses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type Admission, admitRequest } from './admit-request.ts';
import type { EmulatorCloudflareOptions } from './cloudflare-auth.ts';
import {
  createChatCompletion,
  createChatCompletionChunks,
  planChatCompletion,
} from './completions.ts';
import { controlPrefix, handleControlRequest } from './control-routes.ts';
import { createDynamicRouteStore, type DynamicRouteStore } from './dynamic-routes.ts';
import { createEmbeddingsResponse } from './embeddings.ts';
import { createOpenAIErrorBody } from './error-bodies.ts';
import {
  type Exchange,
  sendJson,
  sendOpenAIError,
  wait,
  writeFlushed,
  writeHead,
} from './exchange.ts';
import {
  createFaultRegistry,
  type Fault,
  type FaultHandle,
  type FaultRegistry,
  type FaultRule,
} from './faults.ts';
import { isRecord } from './is-record.ts';
import { type Personality, personalityOf } from './personality.ts';
import { playResponseFault, readHeaderFault } from './play-fault.ts';
import { BodyTooLargeError, parseBody, readBody } from './read-body.ts';
import {
  flattenHeaders,
  formatSequence,
  type RecordedRequest,
  type RequestLogEntry,
} from './request-log.ts';
import { createResponseCache, defaultCacheTtlMs, type ResponseCache } from './response-cache.ts';
import {
  createResponseEvents,
  createResponseObject,
  planResponse,
  sendResponseStream,
} from './responses.ts';
import { type EmulatorRoute, matchRoute } from './routes.ts';
import { runDeployedRoute } from './run-deployed-route.ts';
import { sendChatStream } from './send-stream.ts';

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

/** Settings one emulator's request handler works with. */
type EmulatorState = {
  options: EmulatorOptions;
  clock: () => number;
  cache: ResponseCache;
  faults: FaultRegistry;
  routes: DynamicRouteStore;
};

function chooseFault(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  state: EmulatorState;
  personality: Personality;
}): {
  fault?: Fault;
  refused: boolean;
} {
  const { exchange, route } = options;
  const { entry } = exchange;
  // A header fault is a one-off for this request: it wins and leaves the rules' counts alone.
  const headerFault = readHeaderFault(exchange);
  if (headerFault === 'refused') {
    return { refused: true };
  }
  if (headerFault !== undefined) {
    entry.fault = headerFault;
    return { fault: headerFault, refused: false };
  }
  const selected = options.state.faults.take({
    model: entry.model,
    path: entry.path,
    gateway: route.kind === 'cloudflare' ? `${route.accountId}/${route.gatewayId}` : undefined,
    kind: route.kind,
    personality: options.personality,
    stream: entry.stream,
  });
  if (selected === undefined) {
    return { refused: false };
  }
  entry.fault = selected.fault;
  if (selected.ruleId !== undefined) {
    entry.faultRuleId = selected.ruleId;
  }
  return { fault: selected.fault, refused: false };
}

function latencyFor(options: { settings: EmulatorOptions; model: string | undefined }): number {
  const { settings, model } = options;
  const perModel = settings.modelLatencyMs;
  if (model !== undefined && perModel !== undefined && Object.hasOwn(perModel, model)) {
    return perModel[model] ?? 0;
  }
  return settings.latencyMs ?? 0;
}

/** Renders the deterministic answer; returns whether it was a clean, cacheable one. */
async function answer(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  admission: Admission;
  fault: Fault | undefined;
  clock: () => number;
  personality: Personality;
}): Promise<boolean> {
  const { exchange, admission } = options;
  const { body, headers } = admission;
  const invalid = (problem: { message: string; param: string }) =>
    sendOpenAIError({
      exchange,
      status: 400,
      code: 'invalid_value',
      message: problem.message,
      param: problem.param,
      headers,
    });
  if (options.route.endpoint === 'embeddings') {
    const embeddings = createEmbeddingsResponse({ body });
    if (!embeddings.ok) {
      invalid(embeddings);
      return false;
    }
    sendJson({ exchange, status: 200, body: embeddings.value, headers });
    return true;
  }
  if (options.route.endpoint === 'responses') {
    const planned = planResponse({
      body,
      id: `resp_emu_${formatSequence(exchange.entry.seq)}`,
      created: options.clock(),
    });
    if (!planned.ok) {
      invalid(planned);
      return false;
    }
    if (!planned.value.stream) {
      sendJson({ exchange, status: 200, body: createResponseObject(planned.value), headers });
      return true;
    }
    await sendResponseStream({
      exchange,
      events: createResponseEvents(planned.value),
      fault: options.fault,
      headers,
    });
    return options.fault === undefined || options.fault.type === 'delay';
  }
  const plan = planChatCompletion({
    body,
    id: `chatcmpl-emu-${formatSequence(exchange.entry.seq)}`,
    created: options.clock(),
  });
  if (!plan.ok) {
    invalid(plan);
    return false;
  }
  if (!plan.value.stream) {
    if (options.fault?.type === 'body-cut') {
      // The whole length is announced, half the JSON is sent, then the connection is cut.
      const text = JSON.stringify(createChatCompletion(plan.value));
      writeHead({
        exchange,
        status: 200,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        },
      });
      await writeFlushed({ exchange, text: text.slice(0, Math.floor(text.length / 2)) });
      exchange.entry.outcome = 'cut';
      exchange.request.socket.destroy();
      return false;
    }
    sendJson({ exchange, status: 200, body: createChatCompletion(plan.value), headers });
    return true;
  }
  await sendChatStream({
    exchange,
    chunks: createChatCompletionChunks(plan.value),
    fault: options.fault,
    headers,
    personality: options.personality,
  });
  return options.fault === undefined || options.fault.type === 'delay';
}

async function handleApiRequest(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  state: EmulatorState;
}): Promise<void> {
  const { exchange, route, state } = options;
  const admission = admitRequest({
    exchange,
    route,
    cloudflare: state.options.cloudflare,
    apiKeys: state.options.apiKeys,
    allowMissingApiKey: state.options.allowMissingApiKey ?? false,
    cache: state.cache,
    routes: state.routes,
  });
  if (admission === undefined) {
    return;
  }
  const personality = personalityOf({
    kind: route.kind,
    path: exchange.entry.path,
    paths: state.options.personalities,
  });
  const { fault, refused } = chooseFault({ exchange, route, state, personality });
  if (refused || fault?.type === 'hang') {
    // A hang answers nothing at all: not even the configured latency applies.
    return;
  }
  const delayMs =
    latencyFor({ settings: state.options, model: exchange.entry.model }) +
    (fault?.type === 'delay' ? fault.ms : 0);
  if (!(await wait({ ms: delayMs, signal: exchange.signal }))) {
    return;
  }
  if (
    fault !== undefined &&
    playResponseFault({ exchange, fault, headers: admission.headers, personality })
  ) {
    return;
  }
  let served: { admission: typeof admission; fault: Fault | undefined } = { admission, fault };
  if (admission.route !== undefined && route.kind === 'cloudflare') {
    const ran = await runDeployedRoute({
      exchange,
      route,
      admission,
      faults: state.faults,
      cloudflare: state.options.cloudflare,
    });
    if (ran === undefined) return;
    served = ran;
  }
  const clean = await answer({
    exchange,
    route,
    admission: served.admission,
    fault: served.fault,
    clock: state.clock,
    personality,
  });
  if (clean && admission.cacheKey !== undefined) {
    const ttlSeconds = Number(exchange.entry.headers['cf-aig-cache-ttl']);
    state.cache.store({
      key: admission.cacheKey,
      now: performance.now(),
      ttlMs: Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : defaultCacheTtlMs,
    });
  }
}

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
