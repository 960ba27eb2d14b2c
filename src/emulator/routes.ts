/**
 * Which API a request path names, and which gateway serves it: Cloudflare's `/compat` endpoint,
 * Cloudflare's REST API, or any other OpenAI-compatible route. Paths that name no API the
 * emulator serves match nothing (and get 404).
 */

/** The APIs the emulator answers. */
export type EmulatorEndpoint = 'chat.completions' | 'embeddings' | 'responses';

/** A route of Cloudflare AI Gateway: the `/compat` endpoint or the REST API. */
export type CloudflareRoute = {
  kind: 'cloudflare';
  /**
   * `compat`: `/v1/{accountId}/{gatewayId}/compat/...`; `rest`:
   * `/client/v4/accounts/{accountId}/ai/v1/...`, the gateway named by `cf-aig-gateway-id`.
   */
  api: 'compat' | 'rest';
  /** The `{accountId}` path segment. */
  accountId: string;
  /** The gateway: the `{gatewayId}` path segment, or (REST) `cf-aig-gateway-id`, else `default`. */
  gatewayId: string;
  /** REST: whether the request named its gateway with `cf-aig-gateway-id`. */
  gatewayNamed: boolean;
  /** Which API. */
  endpoint: EmulatorEndpoint;
};

/** Any other OpenAI-compatible route (Vercel, OpenRouter, a local server, ...). */
export type OpenAICompatibleRoute = {
  kind: 'openai-compatible';
  /** Which API. */
  endpoint: EmulatorEndpoint;
};

/** A matched API route. */
export type EmulatorRoute = CloudflareRoute | OpenAICompatibleRoute;

const cloudflarePattern = /^\/v1\/([^/]+)\/([^/]+)\/compat\/(chat\/completions|embeddings)$/;
const compatPrefix = /^\/v1\/[^/]+\/[^/]+\/compat\//;
const cloudflareRestPattern =
  /^\/client\/v4\/accounts\/([^/]+)\/ai\/v1\/(chat\/completions|embeddings|responses)$/;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function endpointOf(api: string | undefined): EmulatorEndpoint {
  return api === 'embeddings'
    ? 'embeddings'
    : api === 'responses'
      ? 'responses'
      : 'chat.completions';
}

/**
 * Maps a URL path to a route: `/v1/{accountId}/{gatewayId}/compat/chat/completions` and
 * `.../compat/embeddings` are Cloudflare's compat endpoint;
 * `/client/v4/accounts/{accountId}/ai/v1/{chat/completions,responses,embeddings}` is Cloudflare's
 * REST API (its gateway from the `cf-aig-gateway-id` header, else `default`); any other path
 * ending in `/chat/completions`, `/responses` or `/embeddings` is OpenAI-compatible (`/v1/...`
 * for Vercel, `/api/v1/...` for OpenRouter).
 */
export function matchRoute(options: {
  pathname: string;
  /** Lower-cased request headers (the REST API reads `cf-aig-gateway-id`). @default {} */
  headers?: Readonly<Record<string, string>>;
}): EmulatorRoute | undefined {
  const { pathname, headers = {} } = options;
  const cloudflare = cloudflarePattern.exec(pathname);
  if (cloudflare !== null) {
    const [, accountId = '', gatewayId = '', api] = cloudflare;
    return {
      kind: 'cloudflare',
      api: 'compat',
      accountId: decodeSegment(accountId),
      gatewayId: decodeSegment(gatewayId),
      gatewayNamed: true,
      endpoint: endpointOf(api),
    };
  }
  const rest = cloudflareRestPattern.exec(pathname);
  if (rest !== null) {
    const [, accountId = '', api] = rest;
    const named = headers['cf-aig-gateway-id'];
    return {
      kind: 'cloudflare',
      api: 'rest',
      accountId: decodeSegment(accountId),
      gatewayId: named === undefined || named === '' ? 'default' : named,
      gatewayNamed: named !== undefined && named !== '',
      endpoint: endpointOf(api),
    };
  }
  // Any other API under a compat endpoint (e.g. `/compat/responses`, which Cloudflare does not
  // document) is not an OpenAI-compatible route.
  if (compatPrefix.test(pathname)) return undefined;
  if (pathname.endsWith('/chat/completions')) {
    return { kind: 'openai-compatible', endpoint: 'chat.completions' };
  }
  if (pathname.endsWith('/embeddings'))
    return { kind: 'openai-compatible', endpoint: 'embeddings' };
  if (pathname.endsWith('/responses')) return { kind: 'openai-compatible', endpoint: 'responses' };
  return undefined;
}
