/**
 * The request handler behind `switchyard serve`: the router as an OpenAI-compatible HTTP API,
 * shaped `(Request) => Promise<Response>` so the same code runs under `node:http` (the CLI) and
 * as a Cloudflare Worker's `fetch`. Runtime-neutral: no `node:` import.
 *
 * Routes: `POST /v1/chat/completions`, `POST /v1/embeddings`, `POST /v1/responses` (when the
 * router has `responses`), `GET /v1/models`, `GET /healthz`.
 */
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { RouteInfo, Router } from '../router/types.ts';
import { createClientKeys, presentedKey } from './client-keys.ts';
import { errorFromRouter, errorResponse, serveError } from './openai-error.ts';
import { readJsonBody } from './read-body.ts';
import { sseResponse } from './sse-stream.ts';

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

type RouteHeaders = Record<string, string>;

/**
 * Creates the handler. It never throws: every failure is an OpenAI-shaped JSON error with the
 * status an OpenAI client expects.
 */
export function createServeHandler(options: ServeHandlerOptions): ServeHandler {
  const routerOf =
    typeof options.router === 'function' ? options.router : () => options.router as Router;
  const keysOption = options.keys ?? [];
  let keySource: readonly string[] | undefined;
  let checker = createClientKeys([]);
  const currentKeys = () => {
    const source = typeof keysOption === 'function' ? keysOption() : keysOption;
    if (source !== keySource) {
      keySource = source;
      checker = createClientKeys(source);
    }
    return checker;
  };
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const now = options.now ?? (() => performance.now());

  return async (request) => {
    const started = now();
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let model: string | undefined;
    let stream = false;
    const finish = (response: Response, route?: RouteInfo, errorCode?: string): Response => {
      if (options.onRequest !== undefined) {
        try {
          options.onRequest({
            method: request.method,
            path,
            status: response.status,
            stream,
            durationMs: now() - started,
            ...(model === undefined ? {} : { model }),
            ...(route === undefined
              ? {}
              : { upstream: route.upstream, attempts: sentAttempts(route) }),
            ...(errorCode === undefined ? {} : { errorCode }),
          });
        } catch {
          // A logging hook must not break a response.
        }
      }
      return response;
    };
    const fail = (error: ReturnType<typeof serveError>, headers?: RouteHeaders) =>
      finish(errorResponse(error, headers), undefined, error.body.error.code ?? undefined);

    if (path === '/healthz') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return fail(methodNotAllowed());
      return finish(Response.json({ status: 'ok' }));
    }
    const endpoint = endpoints[path];
    if (endpoint === undefined) {
      return fail(
        serveError({
          status: 404,
          message: `No route ${request.method} ${path}. Routes: POST /v1/chat/completions, POST /v1/embeddings, POST /v1/responses, GET /v1/models, GET /healthz.`,
          code: 'unknown_route',
        }),
      );
    }
    const keys = currentKeys();
    if (keys.required && !keys.accepts(presentedKey(request.headers))) {
      return fail(
        serveError({
          status: 401,
          message:
            'Missing or wrong API key: send "Authorization: Bearer <key>" with one of the keys this server was started with.',
          code: 'invalid_api_key',
        }),
        { 'www-authenticate': 'Bearer' },
      );
    }
    if (request.method !== endpoint.method) return fail(methodNotAllowed(endpoint.method));
    const router = routerOf();

    if (endpoint.kind === 'models') {
      return finish(
        Response.json({
          object: 'list',
          data: router.aliases().map((id) => ({
            id,
            object: 'model',
            created: 0,
            owned_by: 'switchyard',
          })),
        }),
      );
    }

    const body = await readJsonBody({ request, maxBodyBytes });
    if (!body.ok) return fail(body.error);
    const params = body.value;
    if (typeof params['model'] !== 'string' || params['model'] === '') {
      return fail(
        serveError({
          status: 400,
          message:
            'The request body needs "model": an alias from the config, or <gateway>:<model>.',
          param: 'model',
          code: 'missing_model',
        }),
      );
    }
    model = params['model'];
    stream = params['stream'] === true;
    const signal = request.signal;

    try {
      if (endpoint.kind === 'chat') {
        if (stream) {
          const { data, route } = await router.chat.completions
            .create(params as unknown as ChatCompletionCreateParamsStreaming, { signal })
            .withRoute();
          return finish(sseResponse({ stream: data, headers: routeHeaders(route) }), route);
        }
        const { data, route } = await router.chat.completions
          .create(params as unknown as ChatCompletionCreateParamsNonStreaming, { signal })
          .withRoute();
        return finish(Response.json(data, { headers: routeHeaders(route) }), route);
      }
      if (endpoint.kind === 'embeddings') {
        const { data, route } = await router.embeddings
          .create(params as unknown as EmbeddingCreateParams, { signal })
          .withRoute();
        return finish(Response.json(data, { headers: routeHeaders(route) }), route);
      }
      const responses = (router as { responses?: ResponsesSurface }).responses;
      if (responses === undefined) {
        return fail(
          serveError({
            status: 404,
            message: 'This version of switchyard has no Responses API support.',
            code: 'unknown_route',
          }),
        );
      }
      const { data, route } = await responses.create(params, { signal }).withRoute();
      if (stream) {
        return finish(
          sseResponse({
            stream: data as AsyncIterable<unknown>,
            headers: routeHeaders(route),
            namedEvents: true,
          }),
          route,
        );
      }
      return finish(Response.json(data, { headers: routeHeaders(route) }), route);
    } catch (error) {
      const answer = errorFromRouter(error);
      const attempts = (error as { attempts?: unknown }).attempts;
      const headers: RouteHeaders = Array.isArray(attempts)
        ? {
            'x-switchyard-attempts': String(
              attempts.filter((attempt) => attempt?.decision !== 'skipped').length,
            ),
          }
        : {};
      return fail(answer, headers);
    }
  };
}

/** The Responses API surface, read structurally so the handler works with or without it. */
type ResponsesSurface = {
  create(
    params: Record<string, unknown>,
    options: { signal: AbortSignal },
  ): { withRoute(): Promise<{ data: unknown; route: RouteInfo }> };
};

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

function sentAttempts(route: RouteInfo): number {
  return route.attempts.filter((attempt) => attempt.decision !== 'skipped').length;
}

/** Which upstream served, through which gateway, after how many requests. */
function routeHeaders(route: RouteInfo): RouteHeaders {
  const headers: RouteHeaders = {
    'x-switchyard-upstream': headerValue(route.upstream),
    'x-switchyard-gateway': headerValue(route.gateway),
    'x-switchyard-model': headerValue(route.upstreamModel),
    'x-switchyard-attempts': String(sentAttempts(route)),
  };
  const requestId = route.gatewayIds['x-request-id'] ?? route.gatewayIds['cf-aig-log-id'];
  if (requestId !== undefined) headers['x-request-id'] = headerValue(requestId);
  return headers;
}

/** Header values are Latin-1 without control characters; anything else is percent-encoded. */
function headerValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}
