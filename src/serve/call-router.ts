/**
 * One call of `switchyard serve` to the router: the request body handed to the endpoint's
 * method, the answer as a `Response` (JSON, or server-sent events for a stream) carrying headers
 * that name the route, and the attempt count of a call that failed.
 */
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { RouteInfo, Router } from '../router/types.ts';
import { sseResponse } from './sse-stream.ts';

/** Response headers that name the route. */
export type RouteHeaders = Record<string, string>;

/** One call to the router, from a request body. */
export type Call = {
  readonly router: Router;
  readonly params: Record<string, unknown>;
  readonly stream: boolean;
  readonly signal: AbortSignal;
  /** Called once when a streamed answer's body has ended. @default undefined */
  readonly onStreamEnd?: () => void;
};

/** A response, with the route that produced it. */
export type Answer = { readonly response: Response; readonly route: RouteInfo };

/** `POST /v1/chat/completions`, plain or streamed. */
export async function callChat(call: Call): Promise<Answer> {
  const { router, params, stream, signal } = call;
  if (stream) {
    const { data, route } = await router.chat.completions
      .create(params as unknown as ChatCompletionCreateParamsStreaming, { signal })
      .withRoute();
    const response = sseResponse({
      stream: data,
      headers: routeHeaders(route),
      ...onEnd(call),
    });
    return { response, route };
  }
  const { data, route } = await router.chat.completions
    .create(params as unknown as ChatCompletionCreateParamsNonStreaming, { signal })
    .withRoute();
  return { response: Response.json(data, { headers: routeHeaders(route) }), route };
}

/** `POST /v1/embeddings`. */
export async function callEmbeddings({ router, params, signal }: Call): Promise<Answer> {
  const { data, route } = await router.embeddings
    .create(params as unknown as EmbeddingCreateParams, { signal })
    .withRoute();
  return { response: Response.json(data, { headers: routeHeaders(route) }), route };
}

/** `POST /v1/responses`; undefined when the router has no Responses API. */
export async function callResponses(call: Call): Promise<Answer | undefined> {
  const { router, params, stream, signal } = call;
  const responses = (router as { responses?: ResponsesSurface }).responses;
  if (responses === undefined) return undefined;
  const { data, route } = await responses.create(params, { signal }).withRoute();
  if (stream) {
    const response = sseResponse({
      stream: data as AsyncIterable<unknown>,
      headers: routeHeaders(route),
      namedEvents: true,
      ...onEnd(call),
    });
    return { response, route };
  }
  return { response: Response.json(data, { headers: routeHeaders(route) }), route };
}

function onEnd(call: Call): { onEnd?: () => void } {
  return call.onStreamEnd === undefined ? {} : { onEnd: call.onStreamEnd };
}

/** A failed call's attempt count, when the error carries its attempts. */
export function attemptHeaders(error: unknown): RouteHeaders {
  const attempts = (error as { attempts?: unknown }).attempts;
  return Array.isArray(attempts)
    ? {
        'x-switchyard-attempts': String(
          attempts.filter((attempt) => attempt?.decision !== 'skipped').length,
        ),
      }
    : {};
}

/** The Responses API surface, read structurally so the handler works with or without it. */
type ResponsesSurface = {
  create(
    params: Record<string, unknown>,
    options: { signal: AbortSignal },
  ): { withRoute(): Promise<{ data: unknown; route: RouteInfo }> };
};

/** Requests sent for a call (attempts skipped while an upstream cooled down do not count). */
export function sentAttempts(route: RouteInfo): number {
  return route.attempts.filter((attempt) => attempt.decision !== 'skipped').length;
}

/** Which upstream served, through which gateway, after how many requests. */
export function routeHeaders(route: RouteInfo): RouteHeaders {
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
