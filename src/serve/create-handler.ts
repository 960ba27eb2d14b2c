/**
 * The request handler behind `switchyard serve`: the router as an OpenAI-compatible HTTP API,
 * shaped `(Request) => Promise<Response>` so the same code runs under `node:http` (the CLI) and
 * as a Cloudflare Worker's `fetch`. Runtime-neutral: no `node:` import.
 *
 * Routes: `POST /v1/chat/completions`, `POST /v1/embeddings`, `POST /v1/responses` (when the
 * router has `responses`), `GET /v1/models`, `GET /v1/models/{id}`, `GET /metrics`,
 * `GET /healthz`; `OPTIONS` on each. Routes are chosen from the URL path only.
 */
import type { Router } from '../router/types.ts';
import { type CallKind, handleCall } from './call-endpoint.ts';
import { type ClientKey, createClientKeys, type KeyGrant, presentedKey } from './client-keys.ts';
import { corsHeaders, preflightHeaders } from './cors.ts';
import { serveError } from './openai-error.ts';
import { prometheusContentType } from './prometheus-text.ts';
import { createBodyBudget } from './read-body.ts';
import {
  type ClientKeys,
  fail,
  finish,
  type HandlerState,
  type RequestRecord,
  type ServeRequestLog,
} from './request-record.ts';
import { createServeMetrics } from './serve-metrics.ts';

export type { ServeRequestLog } from './request-record.ts';

/** Options of {@link createServeHandler}. */
export type ServeHandlerOptions = {
  /**
   * The router to serve, or a function returning the current one (a Worker that builds its
   * router on the first request). The serving config's `serve` section sets the access policy
   * (`directModels`, `clientOverrides`) and CORS (`cors.origins`).
   */
  router: Router | (() => Router);
  /**
   * Client keys: when any is given, every `/v1/*` and `/metrics` request must send
   * `Authorization: Bearer <key>` with one of them (compared in constant time), and only aliases
   * are served unless the config's `serve.directModels` is true. A key given as
   * `{ key, models }` may call those aliases only. `/healthz` stays open. A function is asked on
   * every request (keys that change with a reloaded config); return the same array while they
   * do not change.
   * @default [] (no key needed: only safe on a loopback address)
   */
  keys?: readonly ClientKey[] | (() => readonly ClientKey[]);
  /**
   * Largest request body, in bytes; a larger one gets 413 before it is read whole.
   * @default 10_485_760 (10 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Most bytes of request bodies held at once across all requests; a request that would pass it
   * gets 503 (`server_busy`, `retry-after: 1`). Bounds memory under many large bodies at once.
   * @default 67_108_864 (64 MiB)
   */
  maxBodyBytesInFlight?: number;
  /**
   * Whether `GET /metrics` answers (Prometheus text format). It needs a client key when keys
   * are set.
   * @default true
   */
  metrics?: boolean;
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

/** The default budget of request body bytes held across requests: 64 MiB. */
export const defaultMaxBodyBytesInFlight = 64 * 1024 * 1024;

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
    budget: createBodyBudget(options.maxBodyBytesInFlight ?? defaultMaxBodyBytesInFlight),
    metrics: options.metrics === false ? undefined : createServeMetrics(),
    now: options.now ?? (() => performance.now()),
    onRequest: options.onRequest,
  };
  return (request) => handleRequest(state, request);
}

/** The key checker for the current keys, rebuilt only when the keys option gives a new array. */
function createKeyCache(keysOption: NonNullable<ServeHandlerOptions['keys']>): () => ClientKeys {
  let keySource: readonly ClientKey[] | undefined;
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

/** Routes one request, then adds the CORS headers its origin gets. */
async function handleRequest(state: HandlerState, request: Request): Promise<Response> {
  const record: RequestRecord = {
    state,
    request,
    started: state.now(),
    path: new URL(request.url).pathname.replace(/\/+$/, '') || '/',
    model: undefined,
    stream: false,
    router: undefined,
    routeLabel: '(other)',
  };
  state.metrics?.inFlight(1);
  let response: Response;
  try {
    response = await routeRequest(record);
    // Error answers (a 401 too) carry them, so a browser app can read why it was refused.
    const origin = request.headers.get('origin');
    if (origin !== null) {
      const origins = (record.router ?? state.routerOf()).config().serve?.corsOrigins ?? [];
      const cors = corsHeaders(origin, origins);
      for (const [name, value] of Object.entries(cors ?? {})) response.headers.set(name, value);
    }
  } catch {
    const error = serveError({ status: 500, message: 'internal error in switchyard serve' });
    response = fail(record, { error });
  }
  // A stream stays in flight until its body ends (the stream reports that itself).
  if (!isEventStream(response)) state.metrics?.inFlight(-1);
  return response;
}

function isEventStream(response: Response): boolean {
  return (
    response.body !== null &&
    (response.headers.get('content-type') ?? '').startsWith('text/event-stream')
  );
}

/** A route: which methods it takes and what answers it. */
type Route = {
  /** The route as the metrics label it. */
  readonly label: string;
  readonly methods: readonly string[];
  /** Whether a client key is needed (when keys are set). */
  readonly keyed: boolean;
  readonly answer: (
    record: RequestRecord,
    grant: KeyGrant | undefined,
  ) => Promise<Response> | Response;
};

/** Health, the route, a preflight, the client key, the method, then the answer. */
async function routeRequest(record: RequestRecord): Promise<Response> {
  const { request, state } = record;
  const route = findRoute(record.path, state);
  if (route === undefined) {
    const error = serveError({
      status: 404,
      message: `No route ${request.method} ${record.path}. Routes: POST /v1/chat/completions, POST /v1/embeddings, POST /v1/responses, GET /v1/models, GET /v1/models/{id}, GET /metrics, GET /healthz.`,
      code: 'unknown_route',
    });
    return fail(record, { error });
  }
  record.routeLabel = route.label;
  const allow = [...route.methods, 'OPTIONS'].join(', ');
  if (request.method === 'OPTIONS') return preflight(record, allow);
  let grant: KeyGrant | undefined;
  if (route.keyed) {
    const keys = state.currentKeys();
    grant = keys.required ? keys.match(presentedKey(request.headers)) : undefined;
    if (keys.required && grant === undefined) {
      const error = serveError({
        status: 401,
        message:
          'Missing or wrong API key: send "Authorization: Bearer <key>" with one of the keys this server was started with.',
        code: 'invalid_api_key',
      });
      return fail(record, { error, headers: { 'www-authenticate': 'Bearer' } });
    }
  }
  if (!route.methods.includes(request.method)) {
    const error = serveError({
      status: 405,
      message: `${record.path} takes ${route.methods.join(' or ')} requests only.`,
      code: 'method_not_allowed',
    });
    return fail(record, { error, headers: { allow } });
  }
  return await route.answer(record, grant);
}

/** The route of `path`, or undefined when there is none. */
function findRoute(path: string, state: HandlerState): Route | undefined {
  const fixed = routes[path];
  if (fixed !== undefined)
    return path === '/metrics' && state.metrics === undefined ? undefined : fixed;
  if (path.startsWith('/v1/models/')) return modelRoute;
  return undefined;
}

/** `OPTIONS`: a CORS preflight from an allowed origin gets 204; one from another origin 403. */
function preflight(record: RequestRecord, allow: string): Response {
  const { request } = record;
  record.router = record.state.routerOf();
  const origins = record.router.config().serve?.corsOrigins ?? [];
  const cors = corsHeaders(request.headers.get('origin'), origins);
  const isPreflight = request.headers.has('access-control-request-method');
  if (isPreflight && cors === undefined) {
    const error = serveError({
      status: 403,
      message:
        'This origin may not call this server (serve.cors.origins in its config lists the ones that may).',
      code: 'cors_origin_not_allowed',
    });
    return fail(record, { error });
  }
  const headers = cors === undefined ? { allow } : preflightHeaders({ request, allow, cors });
  return finish(record, { response: new Response(null, { status: 204, headers }) });
}

const callRoute = (kind: CallKind, label: string): Route => ({
  label,
  methods: ['POST'],
  keyed: true,
  answer: (record, grant) => handleCall({ record, kind, grant }),
});

const routes: Readonly<Record<string, Route>> = Object.assign(Object.create(null), {
  '/healthz': {
    label: '/healthz',
    methods: ['GET', 'HEAD'],
    keyed: false,
    answer: (record: RequestRecord) =>
      finish(record, { response: Response.json({ status: 'ok' }) }),
  },
  '/metrics': {
    label: '/metrics',
    methods: ['GET', 'HEAD'],
    keyed: true,
    answer: (record: RequestRecord) =>
      finish(record, {
        response: new Response(record.state.metrics?.render() ?? '', {
          headers: { 'content-type': prometheusContentType },
        }),
      }),
  },
  '/v1/models': {
    label: '/v1/models',
    methods: ['GET', 'HEAD'],
    keyed: true,
    answer: (record: RequestRecord, grant: KeyGrant | undefined) =>
      finish(record, {
        response: Response.json({
          object: 'list',
          data: visibleModels(record, grant).map(modelObject),
        }),
      }),
  },
  '/v1/chat/completions': callRoute('chat', '/v1/chat/completions'),
  '/v1/embeddings': callRoute('embeddings', '/v1/embeddings'),
  '/v1/responses': callRoute('responses', '/v1/responses'),
});

/** `GET /v1/models/{id}`: one alias, as OpenAI's model object (what `models.retrieve` reads). */
const modelRoute: Route = {
  label: '/v1/models/{id}',
  methods: ['GET', 'HEAD'],
  keyed: true,
  answer: (record, grant) => {
    let id: string;
    try {
      id = decodeURIComponent(record.path.slice('/v1/models/'.length));
    } catch {
      id = '';
    }
    if (!visibleModels(record, grant).includes(id)) {
      const error = serveError({
        status: 404,
        message: `The model "${id}" does not exist on this server; GET /v1/models lists the ones that do.`,
        param: 'model',
        code: 'model_not_found',
      });
      return fail(record, { error });
    }
    return finish(record, { response: Response.json(modelObject(id)) });
  },
};

/** The aliases the request may see: all, or the key's. */
function visibleModels(record: RequestRecord, grant: KeyGrant | undefined): readonly string[] {
  record.router = record.state.routerOf();
  const aliases = record.router.aliases();
  const allowed = grant?.models;
  return allowed === undefined ? aliases : aliases.filter((alias) => allowed.includes(alias));
}

function modelObject(id: string) {
  return { id, object: 'model', created: 0, owned_by: 'switchyard' };
}
