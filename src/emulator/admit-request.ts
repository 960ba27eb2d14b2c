/**
 * What a gateway checks before it answers: the route's credentials (Cloudflare's gateway token,
 * stored keys, provider keys, the REST API token; an OpenAI-compatible key), then a JSON object
 * body and the `cf-aig-*` headers. A request that passes becomes an {@link Admission}; one that
 * does not gets the gateway's own refusal.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { readBearerToken } from './bearer-token.ts';
import {
  type CloudflareUpstream,
  checkGatewayToken,
  type EmulatorCloudflareOptions,
  findCloudflareGateway,
  resolveCloudflareCredential,
  resolveCloudflareUpstream,
} from './cloudflare-auth.ts';
import { parseCloudflareMetadata } from './cloudflare-metadata.ts';
import { checkApiToken, resolveRestCredential, resolveRestUpstream } from './cloudflare-rest.ts';
import { type DeployedRoute, type DynamicRouteStore, findDeployedRoute } from './dynamic-routes.ts';
import { type Exchange, sendJson, sendOpenAIError } from './exchange.ts';
import { isRecord } from './is-record.ts';
import { formatSequence } from './request-log.ts';
import type { ResponseCache } from './response-cache.ts';
import type { CloudflareRoute, EmulatorRoute } from './routes.ts';

/** Response header naming the credential that served a request. */
export const credentialHeader = 'x-emulator-credential';

/** A request the gateway lets through to the (emulated) upstream. */
export type Admission = {
  /** The JSON body. */
  body: Readonly<Record<string, unknown>>;
  /** Headers every answer to the request carries from here on (`cf-aig-*`, credential, ids). */
  headers: OutgoingHttpHeaders;
  /** Where to remember a clean answer in the gateway cache, when caching was asked for. */
  cacheKey?: string;
  /** A deployed dynamic route to run instead of answering directly. */
  route?: DeployedRoute;
};

/** Options for {@link admitRequest}. */
export type AdmitRequestOptions = {
  /** The exchange; refusals are answered on it and recorded in its log entry. */
  exchange: Exchange;
  /** The matched route. */
  route: EmulatorRoute;
  /** Cloudflare emulation settings. */
  cloudflare: EmulatorCloudflareOptions | undefined;
  /** Keys accepted on OpenAI-compatible routes (any when undefined). */
  apiKeys: readonly string[] | undefined;
  /** Whether OpenAI-compatible routes serve requests without `Authorization`. */
  allowMissingApiKey: boolean;
  /** The gateway cache. */
  cache: ResponseCache;
  /** Routes deployed through the routes API. */
  routes?: DynamicRouteStore;
};

// Checked after authentication, as a gateway does: an unauthenticated caller learns nothing
// about what is wrong with its body.
function requireObjectBody(options: {
  exchange: Exchange;
  headers: OutgoingHttpHeaders;
}): Readonly<Record<string, unknown>> | undefined {
  const body = options.exchange.entry.body;
  if (isRecord(body)) {
    return body;
  }
  sendOpenAIError({
    exchange: options.exchange,
    status: 400,
    message: 'We could not parse the JSON body of your request. The body must be a JSON object.',
    code: 'invalid_json',
    headers: options.headers,
  });
  return undefined;
}

function admitCloudflare(
  options: AdmitRequestOptions & { route: CloudflareRoute },
): Admission | undefined {
  const { exchange, route } = options;
  const { entry } = exchange;
  const requestHeaders = entry.headers;
  const gateway = findCloudflareGateway({
    cloudflare: options.cloudflare,
    accountId: route.accountId,
    gatewayId: route.gatewayId,
  });
  const rest = route.api === 'rest';
  // The REST API authenticates the Cloudflare API token; the compat endpoint, the gateway token.
  const gatewayCheck = rest
    ? checkApiToken({ apiTokens: options.cloudflare?.apiTokens, headers: requestHeaders })
    : checkGatewayToken({ gateway, headers: requestHeaders });
  if (!gatewayCheck.ok) {
    sendJson({ exchange, status: gatewayCheck.status, body: gatewayCheck.body });
    return undefined;
  }
  // Single-step requests: the request id is the log id, and the step is always the first.
  const logId = `emu-log-${formatSequence(entry.seq)}`;
  const headers: OutgoingHttpHeaders = {
    'x-request-id': `req_emu_${formatSequence(entry.seq)}`,
    'cf-aig-log-id': logId,
    'cf-aig-request-id': logId,
    'cf-aig-step': '0',
  };
  const eventId = requestHeaders['cf-aig-event-id'];
  if (eventId !== undefined) {
    headers['cf-aig-event-id'] = eventId;
  }
  const body = requireObjectBody({ exchange, headers });
  if (body === undefined) {
    return undefined;
  }
  const metadataHeader = requestHeaders['cf-aig-metadata'];
  if (metadataHeader !== undefined) {
    const metadata = parseCloudflareMetadata(metadataHeader);
    if (!metadata.ok) {
      sendOpenAIError({
        exchange,
        status: 400,
        message: metadata.message,
        code: 'invalid_metadata',
        headers,
      });
      return undefined;
    }
    entry.metadata = metadata.metadata;
  }
  const model = entry.model;
  let upstream: CloudflareUpstream | undefined;
  if (rest && model !== undefined) {
    const resolvedRest = resolveRestUpstream({
      model,
      gateway,
      gatewayNamed: route.gatewayNamed,
    });
    if (!resolvedRest.ok) {
      sendOpenAIError({
        exchange,
        status: resolvedRest.status,
        message: resolvedRest.message,
        code: resolvedRest.status === 404 ? 'not_found' : 'invalid_model',
        param: 'model',
        headers,
      });
      return undefined;
    }
    upstream = resolvedRest.upstream;
  } else if (model !== undefined) {
    upstream = resolveCloudflareUpstream({ model, gateway });
  }
  if (upstream === undefined) {
    sendOpenAIError({
      exchange,
      status: 400,
      message: `Invalid model ${JSON.stringify(model ?? null)}: Cloudflare /compat models are "provider/model", e.g. "openai/gpt-4o-mini"`,
      code: 'invalid_model',
      param: 'model',
      headers,
    });
    return undefined;
  }
  entry.provider = upstream.provider;
  if (upstream.dynamicRoute !== undefined && route.endpoint === 'responses') {
    // Dynamic routes accept only the Chat Completions shape; other formats get 400
    // (https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/).
    sendOpenAIError({
      exchange,
      status: 400,
      message: `Dynamic route ${JSON.stringify(upstream.dynamicRoute)} accepts only the Chat Completions format`,
      code: 'invalid_model',
      param: 'model',
      headers,
    });
    return undefined;
  }
  const deployed =
    upstream.dynamicRoute === undefined
      ? undefined
      : options.routes &&
        findDeployedRoute({
          store: options.routes,
          accountId: route.accountId,
          gatewayId: route.gatewayId,
          name: upstream.dynamicRoute,
        });
  if (deployed !== undefined) {
    // The route decides which model serves, and each model element checks its own credential.
    return { body, headers, route: deployed };
  }
  if (upstream.dynamicRoute !== undefined) {
    headers['cf-aig-provider'] = upstream.provider;
    headers['cf-aig-model'] = upstream.model;
  }
  const resolved = rest
    ? resolveRestCredential({ gateway, headers: requestHeaders, provider: upstream.provider })
    : resolveCloudflareCredential({
        gateway,
        headers: requestHeaders,
        provider: upstream.provider,
        providerKeys: options.cloudflare?.providerKeys,
      });
  if (resolved.credential !== undefined) {
    entry.credential = resolved.credential;
    headers[credentialHeader] = resolved.credential;
  }
  if (!resolved.ok) {
    sendJson({ exchange, status: resolved.status, body: resolved.body, headers });
    return undefined;
  }
  const wantsCache =
    requestHeaders['cf-aig-cache-key'] !== undefined ||
    requestHeaders['cf-aig-cache-ttl'] !== undefined;
  const skipCache = requestHeaders['cf-aig-skip-cache']?.trim().toLowerCase() === 'true';
  const cacheKey =
    wantsCache && !skipCache
      ? JSON.stringify([
          route.accountId,
          route.gatewayId,
          route.endpoint,
          requestHeaders['cf-aig-cache-key'] ?? '',
          body,
        ])
      : undefined;
  const hit =
    cacheKey !== undefined && options.cache.has({ key: cacheKey, now: performance.now() });
  entry.cacheStatus = hit ? 'HIT' : 'MISS';
  headers['cf-aig-cache-status'] = entry.cacheStatus;
  return cacheKey === undefined ? { body, headers } : { body, headers, cacheKey };
}

function admitOpenAICompatible(options: AdmitRequestOptions): Admission | undefined {
  const { exchange } = options;
  const { entry } = exchange;
  const authorization = entry.headers['authorization'];
  const credential = authorization === undefined ? 'none' : 'request';
  entry.credential = credential;
  const headers: OutgoingHttpHeaders = {
    'x-request-id': `req_emu_${formatSequence(entry.seq)}`,
    [credentialHeader]: credential,
  };
  const key = readBearerToken(authorization);
  const open = authorization === undefined && options.allowMissingApiKey;
  const rejected =
    key === undefined || (options.apiKeys !== undefined && !options.apiKeys.includes(key));
  if (!open && rejected) {
    sendOpenAIError({
      exchange,
      status: 401,
      message:
        authorization === undefined
          ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
          : 'Incorrect API key provided.',
      code: authorization === undefined ? 'missing_api_key' : 'invalid_api_key',
      headers,
    });
    return undefined;
  }
  const body = requireObjectBody({ exchange, headers });
  return body === undefined ? undefined : { body, headers };
}

/**
 * The gateway's checks before anything reaches the upstream: authentication, body shape,
 * Cloudflare metadata and model string, credential choice and cache lookup. Answers refusals
 * itself and returns `undefined` for them.
 */
export function admitRequest(options: AdmitRequestOptions): Admission | undefined {
  return options.route.kind === 'cloudflare'
    ? admitCloudflare({ ...options, route: options.route })
    : admitOpenAICompatible(options);
}
