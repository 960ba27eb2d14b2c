import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type CloudflareOptions,
  type Credential,
  checkGatewayToken,
  findCloudflareGateway,
  resolveCloudflareCredential,
  resolveCloudflareUpstream,
} from './cloudflare-auth.ts';
import { parseCloudflareMetadata } from './cloudflare-metadata.ts';
import {
  createChatCompletion,
  createChatCompletionChunks,
  planChatCompletion,
} from './completions.ts';
import { createEmbeddingsResponse } from './embeddings.ts';
import { createOpenAIErrorBody, createStatusErrorBody } from './error-bodies.ts';
import { type Exchange, resetConnection, sendJson, sendText, wait, writeHead } from './exchange.ts';
import {
  createFaultRegistry,
  type Fault,
  type FaultHandle,
  type FaultRule,
  isStreamFault,
  parseFault,
  type SelectedFault,
} from './faults.ts';
import { flattenHeaders, type RecordedRequest, type RequestLogEntry } from './request-log.ts';
import { createResponseCache, defaultCacheTtlMs } from './response-cache.ts';
import { type EmulatorRoute, matchRoute } from './routes.ts';
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
  cloudflare?: CloudflareOptions;
  /**
   * Fixed delay before every served response's status line, in milliseconds (e.g. for
   * benchmarks). Added to any `delay` fault. @default 0
   */
  latencyMs?: number;
  /**
   * Per-model delay in milliseconds, by the request's `model`; replaces `latencyMs` for that
   * model. @default {}
   */
  modelLatencyMs?: Readonly<Record<string, number>>;
  /**
   * Source of `created` (Unix seconds) in completions. Fixed by default so responses are
   * byte-for-byte reproducible. @default () => 1_700_000_000
   */
  clock?: () => number;
  /** Fault rules installed at start, as if passed to `inject` in order. @default [] */
  faults?: readonly FaultRule[];
  /** Largest accepted request body, in bytes; larger bodies get 413. @default 10_485_760 (10 MiB) */
  maxBodyBytes?: number;
};

/** A running emulator. */
export type Emulator = {
  /** Base URL, `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Same as `url`: the origin every route lives under. */
  readonly origin: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** Every request received (control routes under `/__emulator/` excepted), in arrival order. */
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
   * their timers. Resolves once the server is closed; calling it again is harmless.
   */
  close(): Promise<void>;
};

/** `created` when no clock is given: a fixed instant (2023-11-14T22:13:20Z). */
export const defaultCreated = 1_700_000_000;

/** Request header carrying a per-request fault as JSON, e.g. `{"type":"status","status":503}`. */
export const faultHeader = 'x-emulator-fault';

/** Response header naming the credential that served a request. */
export const credentialHeader = 'x-emulator-credential';

const defaultMaxBodyBytes = 10 * 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function readBody(options: { request: IncomingMessage; limit: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    options.request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > options.limit) {
        reject(new BodyTooLargeError(`Request body exceeds ${options.limit} bytes`));
        options.request.destroy();
        return;
      }
      parts.push(part);
    });
    options.request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    options.request.on('error', reject);
  });
}

function parseBody(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pad(sequence: number): string {
  return String(sequence).padStart(6, '0');
}

function readBearer(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(value.trim());
  return match?.[1];
}

/**
 * Starts the gateway emulator on 127.0.0.1: Cloudflare AI Gateway `/compat` routes and
 * OpenAI-compatible routes, deterministic answers, gateway auth rules, fault injection and a
 * request log. Resolves once it is listening.
 *
 * @example
 * const emulator = await startEmulator({ cloudflare: { gateways: { 'acct/gw': { token: 't' } } } });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${emulator.url}/v1/acct/gw/compat` });
 * await emulator.close();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Emulator port must be an integer from 0 to 65535, got ${port}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const clock = options.clock ?? (() => defaultCreated);
  const faults = createFaultRegistry();
  for (const rule of options.faults ?? []) {
    faults.add(rule);
  }
  const cache = createResponseCache();
  let log: RequestLogEntry[] = [];
  let sequence = 0;
  let closing = false;
  let origin = '';

  const latencyFor = (model: string | undefined): number => {
    const perModel = options.modelLatencyMs;
    if (model !== undefined && perModel !== undefined && Object.hasOwn(perModel, model)) {
      return perModel[model] ?? 0;
    }
    return options.latencyMs ?? 0;
  };

  const refuse = (refusal: {
    exchange: Exchange;
    status: number;
    message: string;
    code: string;
    param?: string;
    headers?: OutgoingHttpHeaders;
  }) =>
    sendJson({
      exchange: refusal.exchange,
      status: refusal.status,
      body: createOpenAIErrorBody({
        message: refusal.message,
        code: refusal.code,
        param: refusal.param ?? null,
      }),
      headers: refusal.headers ?? {},
    });

  /** Plays a fault that replaces the whole response; returns false for in-stream faults. */
  const playResponseFault = (played: {
    exchange: Exchange;
    fault: Fault;
    headers: OutgoingHttpHeaders;
  }): boolean => {
    const { exchange, fault, headers } = played;
    switch (fault.type) {
      case 'status': {
        const faultHeaders = { ...headers, ...fault.headers };
        if (typeof fault.body === 'string') {
          sendText({ exchange, status: fault.status, text: fault.body, headers: faultHeaders });
        } else {
          const body =
            fault.body ??
            createStatusErrorBody({
              status: fault.status,
              ...(fault.code === undefined ? {} : { code: fault.code }),
              ...(fault.message === undefined ? {} : { message: fault.message }),
            });
          sendJson({ exchange, status: fault.status, body, headers: faultHeaders });
        }
        return true;
      }
      case 'reset':
        resetConnection(exchange);
        return true;
      case 'hang':
        // Nothing is sent; the connection stays open until the client or `close()` ends it.
        return true;
      case 'redirect':
        writeHead({
          exchange,
          status: fault.status ?? 302,
          headers: { ...headers, location: fault.location, 'content-length': 0 },
        });
        exchange.response.end();
        return true;
      default:
        return false;
    }
  };

  const selectFault = (selection: {
    exchange: Exchange;
    route: EmulatorRoute;
    model: string | undefined;
    stream: boolean;
  }): SelectedFault | 'invalid' | undefined => {
    const { exchange } = selection;
    const header = exchange.entry.headers[faultHeader];
    if (header !== undefined) {
      let fault: Fault;
      try {
        fault = parseFault(JSON.parse(header));
      } catch (error) {
        refuse({
          exchange,
          status: 400,
          message: `Invalid ${faultHeader} header: ${error instanceof Error ? error.message : String(error)}`,
          code: 'invalid_emulator_fault',
        });
        return 'invalid';
      }
      if (isStreamFault(fault) && !selection.stream) {
        refuse({
          exchange,
          status: 400,
          message: `Fault "${fault.type}" in ${faultHeader} needs a streaming request (stream: true)`,
          code: 'invalid_emulator_fault',
        });
        return 'invalid';
      }
      return { fault };
    }
    return faults.take({
      model: selection.model,
      path: exchange.entry.path,
      gateway:
        selection.route.kind === 'cloudflare'
          ? `${selection.route.accountId}/${selection.route.gatewayId}`
          : undefined,
      kind: selection.route.kind,
      stream: selection.stream,
    });
  };

  const handleApiRequest = async (exchange: Exchange, route: EmulatorRoute) => {
    const { entry } = exchange;
    const headers = entry.headers;
    if (!isRecord(entry.body)) {
      refuse({
        exchange,
        status: 400,
        message:
          'We could not parse the JSON body of your request. The body must be a JSON object.',
        code: 'invalid_json',
      });
      return;
    }
    const body = entry.body;
    const model = entry.model;
    const responseHeaders: OutgoingHttpHeaders = { 'x-request-id': `req_emu_${pad(entry.seq)}` };
    let cacheKey: string | undefined;

    if (route.kind === 'cloudflare') {
      const gateway = findCloudflareGateway({
        cloudflare: options.cloudflare,
        accountId: route.accountId,
        gatewayId: route.gatewayId,
      });
      const gatewayCheck = checkGatewayToken({ gateway, headers });
      if (!gatewayCheck.ok) {
        sendJson({ exchange, status: gatewayCheck.status, body: gatewayCheck.body });
        return;
      }
      const logId = `emu-log-${pad(entry.seq)}`;
      responseHeaders['cf-aig-log-id'] = logId;
      responseHeaders['cf-aig-request-id'] = logId;
      responseHeaders['cf-aig-step'] = '0';
      const eventId = headers['cf-aig-event-id'];
      if (eventId !== undefined) {
        responseHeaders['cf-aig-event-id'] = eventId;
      }
      const metadataHeader = headers['cf-aig-metadata'];
      if (metadataHeader !== undefined) {
        const metadata = parseCloudflareMetadata(metadataHeader);
        if (!metadata.ok) {
          refuse({
            exchange,
            status: 400,
            message: metadata.message,
            code: 'invalid_metadata',
            headers: responseHeaders,
          });
          return;
        }
        entry.metadata = metadata.metadata;
      }
      const upstream =
        model === undefined ? undefined : resolveCloudflareUpstream({ model, gateway });
      if (upstream === undefined) {
        refuse({
          exchange,
          status: 400,
          message: `Invalid model ${JSON.stringify(model ?? null)}: Cloudflare /compat models are "provider/model", e.g. "openai/gpt-4o-mini"`,
          code: 'invalid_model',
          param: 'model',
          headers: responseHeaders,
        });
        return;
      }
      entry.provider = upstream.provider;
      if (upstream.dynamicRoute !== undefined) {
        responseHeaders['cf-aig-provider'] = upstream.provider;
        responseHeaders['cf-aig-model'] = upstream.model;
      }
      const resolved = resolveCloudflareCredential({
        gateway,
        headers,
        provider: upstream.provider,
        providerKeys: options.cloudflare?.providerKeys,
      });
      if (resolved.credential !== undefined) {
        entry.credential = resolved.credential;
        responseHeaders[credentialHeader] = resolved.credential;
      }
      if (!resolved.ok) {
        sendJson({
          exchange,
          status: resolved.status,
          body: resolved.body,
          headers: responseHeaders,
        });
        return;
      }
      const wantsCache =
        headers['cf-aig-cache-key'] !== undefined || headers['cf-aig-cache-ttl'] !== undefined;
      const skipCache = headers['cf-aig-skip-cache']?.trim().toLowerCase() === 'true';
      if (wantsCache && !skipCache) {
        cacheKey = JSON.stringify([
          route.accountId,
          route.gatewayId,
          route.endpoint,
          headers['cf-aig-cache-key'] ?? '',
          body,
        ]);
      }
      entry.cacheStatus =
        cacheKey !== undefined && cache.has({ key: cacheKey, now: performance.now() })
          ? 'HIT'
          : 'MISS';
      responseHeaders['cf-aig-cache-status'] = entry.cacheStatus;
    } else {
      const authorization = headers['authorization'];
      const key = readBearer(authorization);
      const accepted = options.apiKeys;
      const credential: Credential = authorization === undefined ? 'none' : 'request';
      entry.credential = credential;
      responseHeaders[credentialHeader] = credential;
      const open = authorization === undefined && options.allowMissingApiKey === true;
      if (!open && (key === undefined || (accepted !== undefined && !accepted.includes(key)))) {
        refuse({
          exchange,
          status: 401,
          message:
            authorization === undefined
              ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
              : 'Incorrect API key provided.',
          code: authorization === undefined ? 'missing_api_key' : 'invalid_api_key',
          headers: responseHeaders,
        });
        return;
      }
    }

    const selected = selectFault({ exchange, route, model, stream: entry.stream });
    if (selected === 'invalid') {
      return;
    }
    if (selected !== undefined) {
      entry.fault = selected.fault;
      if (selected.ruleId !== undefined) {
        entry.faultRuleId = selected.ruleId;
      }
    }
    const fault = selected?.fault;
    if (fault?.type === 'hang') {
      return;
    }
    const delayMs = latencyFor(model) + (fault?.type === 'delay' ? fault.ms : 0);
    if (!(await wait({ ms: delayMs, signal: exchange.signal }))) {
      return;
    }
    if (fault !== undefined && playResponseFault({ exchange, fault, headers: responseHeaders })) {
      return;
    }

    const id = `chatcmpl-emu-${pad(entry.seq)}`;
    if (route.endpoint === 'embeddings') {
      const embeddings = createEmbeddingsResponse({ body });
      if (!embeddings.ok) {
        refuse({
          exchange,
          status: 400,
          message: embeddings.message,
          code: 'invalid_value',
          param: embeddings.param,
          headers: responseHeaders,
        });
        return;
      }
      sendJson({ exchange, status: 200, body: embeddings.value, headers: responseHeaders });
    } else {
      const plan = planChatCompletion({ body, id, created: clock() });
      if (!plan.ok) {
        refuse({
          exchange,
          status: 400,
          message: plan.message,
          code: 'invalid_value',
          param: plan.param,
          headers: responseHeaders,
        });
        return;
      }
      if (plan.value.stream) {
        await sendChatStream({
          exchange,
          chunks: createChatCompletionChunks(plan.value),
          fault,
          headers: responseHeaders,
        });
      } else {
        sendJson({
          exchange,
          status: 200,
          body: createChatCompletion(plan.value),
          headers: responseHeaders,
        });
      }
    }
    // Only a clean answer is worth caching; a faulted one would never be served from cache.
    if (cacheKey !== undefined && (fault === undefined || fault.type === 'delay')) {
      const ttlSeconds = Number(headers['cf-aig-cache-ttl']);
      cache.store({
        key: cacheKey,
        now: performance.now(),
        ttlMs:
          Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : defaultCacheTtlMs,
      });
    }
  };

  const handleControlRequest = async (
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
  ) => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };
    if (pathname === '/__emulator/requests' && request.method === 'GET') {
      reply(200, { requests: log });
    } else if (pathname === '/__emulator/requests' && request.method === 'DELETE') {
      log = [];
      reply(200, { cleared: true });
    } else if (pathname === '/__emulator/faults' && request.method === 'POST') {
      try {
        const handle = faults.add(JSON.parse(await readBody({ request, limit: maxBodyBytes })));
        reply(201, { id: handle.id });
      } catch (error) {
        reply(
          400,
          createOpenAIErrorBody({
            message: error instanceof Error ? error.message : String(error),
            code: 'invalid_emulator_fault',
          }),
        );
      }
    } else if (pathname === '/__emulator/faults' && request.method === 'DELETE') {
      faults.clear();
      reply(200, { cleared: true });
    } else {
      reply(
        404,
        createOpenAIErrorBody({
          message: `Unknown emulator control route ${request.method} ${pathname}`,
          code: 'not_found',
        }),
      );
    }
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse) => {
    const time = performance.now();
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname.startsWith('/__emulator/')) {
      await handleControlRequest(request, response, url.pathname);
      return;
    }
    const route = matchRoute(url.pathname);
    const entry: RequestLogEntry = {
      seq: ++sequence,
      time,
      method: request.method ?? 'GET',
      path: url.pathname,
      url: url.href,
      headers: flattenHeaders(request.headers),
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
    response.on('close', () => {
      controller.abort();
      entry.durationMs = performance.now() - time;
      if (entry.outcome === undefined) {
        entry.outcome = response.writableFinished
          ? 'completed'
          : closing
            ? 'emulator-closed'
            : 'client-closed';
      }
    });

    let text: string;
    try {
      text = await readBody({ request, limit: maxBodyBytes });
    } catch (error) {
      if (error instanceof BodyTooLargeError && !response.headersSent && !response.destroyed) {
        refuse({ exchange, status: 413, message: error.message, code: 'request_too_large' });
      }
      return;
    }
    entry.body = parseBody(text);
    if (isRecord(entry.body)) {
      const model = entry.body['model'];
      if (typeof model === 'string') {
        entry.model = model;
      }
      entry.stream = entry.body['stream'] === true;
    }
    if (route === undefined) {
      refuse({ exchange, status: 404, message: `Unknown path ${url.pathname}`, code: 'not_found' });
      return;
    }
    if (request.method !== 'POST') {
      refuse({
        exchange,
        status: 405,
        message: `Method ${entry.method} not allowed on ${url.pathname}; use POST`,
        code: 'method_not_allowed',
        headers: { allow: 'POST' },
      });
      return;
    }
    await handleApiRequest(exchange, route);
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      // A bug in the emulator must not pass for a gateway answer: 500 if possible, else cut.
      if (!response.headersSent && !response.destroyed) {
        const text = JSON.stringify(
          createOpenAIErrorBody({
            message: `Emulator error: ${String(error)}`,
            type: 'server_error',
            code: 'emulator_error',
          }),
        );
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(text);
      } else {
        response.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
    inject: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    clearCache: () => cache.clear(),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Hanging and stalled exchanges would otherwise keep `close` waiting forever.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
