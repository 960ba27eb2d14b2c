/**
 * The request handler behind `switchyard serve`: the router as an OpenAI-compatible HTTP API,
 * shaped `(Request) => Promise<Response>` so the same code runs under `node:http` (the CLI) and
 * as a Cloudflare Worker's `fetch`. Runtime-neutral: no `node:` import.
 *
 * Routes: `POST /v1/chat/completions`, `POST /v1/embeddings`, `POST /v1/responses` (when the
 * router has `responses`), `GET /v1/models`, `GET /healthz`.
 */
import type { RouteInfo, Router } from '../router/types.ts';
import {
  attemptHeaders,
  callChat,
  callEmbeddings,
  callResponses,
  type RouteHeaders,
  sentAttempts,
} from './call-router.ts';
import { createClientKeys, presentedKey } from './client-keys.ts';
import { errorFromRouter, errorResponse, serveError } from './openai-error.ts';
import { readJsonBody } from './read-body.ts';

/** One request, as `onRequest` reports it. Holds no header, body or key. */
export type ServeRequestLog = {
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  readonly status: number;
  /** The `model` asked for, when the body had one. */
  readonly model?: string;
  /** The upstream that served it. */
  readonly upstream?: string;
  /** Requests sent upstream (retries and fallbacks included). */
  readonly attempts?: number;
  /** Whether the answer is a stream. */
  readonly stream: boolean;
  /** Time until the response headers, in milliseconds. */
  readonly durationMs: number;
  /** The error code, for an error answer. */
  readonly errorCode?: string;
};

/** Options of {@link createServeHandler}. */
export type ServeHandlerOptions = {
  /**
   * The router to serve, or a function returning the current one (a Worker that builds its
   * router on the first request).
   */
  router: Router | (() => Router);
  /**
   * Client keys: when any is given, every `/v1/*` request must send
   * `Authorization: Bearer <key>` with one of them (compared in constant time). `/healthz`
   * stays open. A function is asked on every request (keys that change with a reloaded config);
   * return the same array while they do not change.
   * @default [] (no key needed: only safe on a loopback address)
   */
  keys?: readonly string[] | (() => readonly string[]);
  /**
   * Largest request body, in bytes; a larger one gets 413 before it is read whole.
   * @default 10_485_760 (10 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Called once per request when its response headers are ready. Exceptions are ignored.
   * @default undefined (nothing is called)
   */
  onRequest?: (log: ServeRequestLog) => void;
  /**
   * Milliseconds since some fixed point, for `durationMs`.
   * @default performance.now
   */
  now?: () => number;
};

/** A handler: one request in, one response out. */
export type ServeHandler = (request: Request) => Promise<Response>;

/** The default request body limit: 10 MiB. */
export const defaultMaxBodyBytes = 10 * 1024 * 1024;

/**
 * Creates the handler. It never throws: every failure is an OpenAI-shaped JSON error with the
 * status an OpenAI client expects.
 */
export function createServeHandler(options: ServeHandlerOptions): ServeHandler {
  const state: HandlerState = {
    routerOf:
      typeof options.router === 'function' ? options.router : () => options.router as Router,
    currentKeys: createKeyCache(options.keys ?? []),
    maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
    now: options.now ?? (() => performance.now()),
    onRequest: options.onRequest,
  };
  return (request) => handleRequest(state, request);
}

/** What every request of one handler shares. */
type HandlerState = {
  readonly routerOf: () => Router;
  readonly currentKeys: () => ClientKeys;
  readonly maxBodyBytes: number;
  readonly now: () => number;
  readonly onRequest: ServeHandlerOptions['onRequest'];
};

type ClientKeys = ReturnType<typeof createClientKeys>;

/** The key checker for the current keys, rebuilt only when the keys option gives a new array. */
function createKeyCache(keysOption: NonNullable<ServeHandlerOptions['keys']>): () => ClientKeys {
  let keySource: readonly string[] | undefined;
  let checker = createClientKeys([]);
  return () => {
    const source = typeof keysOption === 'function' ? keysOption() : keysOption;
    if (source !== keySource) {
      keySource = source;
      checker = createClientKeys(source);
    }
    return checker;
  };
}

/** One request as it is handled: what `onRequest` will report. */
type RequestRecord = {
  readonly state: HandlerState;
  readonly request: Request;
  readonly path: string;
  readonly started: number;
  /** Known once the body is read. */
  model: string | undefined;
  stream: boolean;
};

/** Routes one request: health, the endpoint, the client key, the method, then the call. */
async function handleRequest(state: HandlerState, request: Request): Promise<Response> {
  const started = state.now();
  const url = new URL(request.url);
  const record: RequestRecord = {
    state,
    request,
    started,
    path: url.pathname.replace(/\/+$/, '') || '/',
    model: undefined,
    stream: false,
  };
  const { path } = record;
  if (path === '/healthz') {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return fail(record, { error: methodNotAllowed() });
    }
    return finish(record, { response: Response.json({ status: 'ok' }) });
  }
  const endpoint = endpoints[path];
  if (endpoint === undefined) {
    const error = serveError({
      status: 404,
      message: `No route ${request.method} ${path}. Routes: POST /v1/chat/completions, POST /v1/embeddings, POST /v1/responses, GET /v1/models, GET /healthz.`,
      code: 'unknown_route',
    });
    return fail(record, { error });
  }
  const keys = state.currentKeys();
  if (keys.required && !keys.accepts(presentedKey(request.headers))) {
    const error = serveError({
      status: 401,
      message:
        'Missing or wrong API key: send "Authorization: Bearer <key>" with one of the keys this server was started with.',
      code: 'invalid_api_key',
    });
    return fail(record, { error, headers: { 'www-authenticate': 'Bearer' } });
  }
  if (request.method !== endpoint.method) {
    return fail(record, { error: methodNotAllowed(endpoint.method) });
  }
  const router = state.routerOf();
  if (endpoint.kind === 'models') {
    return finish(record, { response: listModels(router) });
  }
  return await handleCall({ state, record, router, kind: endpoint.kind });
}

/** `GET /v1/models`: the aliases, shaped like OpenAI's model list. */
function listModels(router: Router): Response {
  return Response.json({
    object: 'list',
    data: router.aliases().map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchyard',
    })),
  });
}

type HandleCallOptions = {
  readonly state: HandlerState;
  readonly record: RequestRecord;
  readonly router: Router;
  readonly kind: Exclude<Endpoint['kind'], 'models'>;
};

/** A `POST` endpoint: reads the body, makes the call, answers with its result or its error. */
async function handleCall(options: HandleCallOptions): Promise<Response> {
  const { state, record, router, kind } = options;
  const body = await readJsonBody({ request: record.request, maxBodyBytes: state.maxBodyBytes });
  if (!body.ok) return fail(record, { error: body.error });
  const params = body.value;
  if (typeof params['model'] !== 'string' || params['model'] === '') {
    const error = serveError({
      status: 400,
      message: 'The request body needs "model": an alias from the config, or <gateway>:<model>.',
      param: 'model',
      code: 'missing_model',
    });
    return fail(record, { error });
  }
  record.model = params['model'];
  record.stream = params['stream'] === true;
  const call = { router, params, stream: record.stream, signal: record.request.signal };
  try {
    const answer =
      kind === 'chat'
        ? await callChat(call)
        : kind === 'embeddings'
          ? await callEmbeddings(call)
          : await callResponses(call);
    if (answer === undefined) {
      const error = serveError({
        status: 404,
        message: 'This version of switchyard has no Responses API support.',
        code: 'unknown_route',
      });
      return fail(record, { error });
    }
    return finish(record, answer);
  } catch (error) {
    return fail(record, { error: errorFromRouter(error), headers: attemptHeaders(error) });
  }
}

type FinishOptions = {
  readonly response: Response;
  /** The route of a call that succeeded. */
  readonly route?: RouteInfo;
  /** The error code of an error answer. */
  readonly errorCode?: string;
};

/** Reports the request to `onRequest` and returns its response. */
function finish(record: RequestRecord, options: FinishOptions): Response {
  const { state } = record;
  const { response, route, errorCode } = options;
  if (state.onRequest !== undefined) {
    try {
      state.onRequest({
        method: record.request.method,
        path: record.path,
        status: response.status,
        stream: record.stream,
        durationMs: state.now() - record.started,
        ...(record.model === undefined ? {} : { model: record.model }),
        ...(route === undefined ? {} : { upstream: route.upstream, attempts: sentAttempts(route) }),
        ...(errorCode === undefined ? {} : { errorCode }),
      });
    } catch {
      // A logging hook must not break a response.
    }
  }
  return response;
}

type FailOptions = {
  readonly error: ReturnType<typeof serveError>;
  readonly headers?: RouteHeaders;
};

/** Answers with an OpenAI-shaped error. */
function fail(record: RequestRecord, options: FailOptions): Response {
  const { error, headers } = options;
  const errorCode = error.body.error.code ?? undefined;
  return finish(record, {
    response: errorResponse(error, headers),
    ...(errorCode === undefined ? {} : { errorCode }),
  });
}

type Endpoint = {
  method: 'GET' | 'POST';
  kind: 'chat' | 'embeddings' | 'responses' | 'models';
};

const endpoints: Readonly<Record<string, Endpoint>> = Object.assign(Object.create(null), {
  '/v1/chat/completions': { method: 'POST', kind: 'chat' },
  '/v1/embeddings': { method: 'POST', kind: 'embeddings' },
  '/v1/responses': { method: 'POST', kind: 'responses' },
  '/v1/models': { method: 'GET', kind: 'models' },
});

function methodNotAllowed(allowed?: string) {
  return serveError({
    status: 405,
    message:
      allowed === undefined ? 'Use GET /healthz.' : `This route takes ${allowed} requests only.`,
    code: 'method_not_allowed',
  });
}
