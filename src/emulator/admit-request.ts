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
  type EmulatedGatewayOptions,
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
import { formatSequence, type RequestLogEntry } from './request-log.ts';
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
  /** Routes deployed through the routes API. @default undefined (no route is deployed) */
  routes?: DynamicRouteStore;
};

/** Admission options narrowed to a Cloudflare route. */
type CloudflareAdmitOptions = AdmitRequestOptions & { route: CloudflareRoute };

/** A Cloudflare admission step's view: the options, the gateway's settings, the answer headers. */
type CloudflareStep = CloudflareAdmitOptions & {
  gateway: EmulatedGatewayOptions | undefined;
  headers: OutgoingHttpHeaders;
};

// Checked after authentication, as a gateway does: an unauthenticated caller learns nothing
// about what is wrong with its body.
function requireObjectBody(options: {
  exchange: Exchange;
  headers: OutgoingHttpHeaders;
}): Readonly<Record<string, unknown>> | undefined {
  const body = options.exchange.entry.body;
  if (isRecord(body)) return body;
  sendOpenAIError({
    exchange: options.exchange,
    status: 400,
    message: 'We could not parse the JSON body of your request. The body must be a JSON object.',
    code: 'invalid_json',
    headers: options.headers,
  });
  return undefined;
}

/**
 * Cloudflare's checks, in its order: the gateway (or API) token, the body, `cf-aig-metadata`,
 * the model string, a deployed route (which then checks each model's credential itself), the
 * credential, then the cache.
 */
function admitCloudflare(options: CloudflareAdmitOptions): Admission | undefined {
  const { exchange, route } = options;
  const gateway = findCloudflareGateway({
    cloudflare: options.cloudflare,
    accountId: route.accountId,
    gatewayId: route.gatewayId,
  });
  if (!passesGatewayAuth({ ...options, gateway })) return undefined;
  const headers = cloudflareHeaders(exchange.entry);
  const step: CloudflareStep = { ...options, gateway, headers };
  const body = requireObjectBody({ exchange, headers });
  if (body === undefined || !readMetadata(step)) return undefined;
  const upstream = resolveUpstream(step);
  if (upstream === undefined) return undefined;
  const deployed =
    upstream.dynamicRoute === undefined || options.routes === undefined
      ? undefined
      : findDeployedRoute({
          store: options.routes,
          accountId: route.accountId,
          gatewayId: route.gatewayId,
          name: upstream.dynamicRoute,
        });
  // The route decides which model serves, and each model element checks its own credential.
  if (deployed !== undefined) return { body, headers, route: deployed };
  if (upstream.dynamicRoute !== undefined) {
    headers['cf-aig-provider'] = upstream.provider;
    headers['cf-aig-model'] = upstream.model;
  }
  if (!admitCredential({ ...step, provider: upstream.provider })) return undefined;
  const cacheKey = lookUpCache({ ...step, body });
  return cacheKey === undefined ? { body, headers } : { body, headers, cacheKey };
}

/** The REST API authenticates the Cloudflare API token; the compat endpoint, the gateway token. */
function passesGatewayAuth(
  options: CloudflareAdmitOptions & { gateway: EmulatedGatewayOptions | undefined },
): boolean {
  const { exchange, gateway } = options;
  const headers = exchange.entry.headers;
  const check =
    options.route.api === 'rest'
      ? checkApiToken({ apiTokens: options.cloudflare?.apiTokens, headers })
      : checkGatewayToken({ gateway, headers });
  if (check.ok) return true;
  sendJson({ exchange, status: check.status, body: check.body });
  return false;
}

/** The headers every answer past authentication carries: request, log and step ids. */
function cloudflareHeaders(entry: RequestLogEntry): OutgoingHttpHeaders {
  // Single-step requests: the request id is the log id, and the step is always the first.
  const logId = `emu-log-${formatSequence(entry.seq)}`;
  const headers: OutgoingHttpHeaders = {
    'x-request-id': `req_emu_${formatSequence(entry.seq)}`,
    'cf-aig-log-id': logId,
    'cf-aig-request-id': logId,
    'cf-aig-step': '0',
  };
  const eventId = entry.headers['cf-aig-event-id'];
  if (eventId !== undefined) headers['cf-aig-event-id'] = eventId;
  return headers;
}

/** Records a valid `cf-aig-metadata` on the log entry; refuses an invalid one. */
function readMetadata(step: CloudflareStep): boolean {
  const { exchange, headers } = step;
  const header = exchange.entry.headers['cf-aig-metadata'];
  if (header === undefined) return true;
  const metadata = parseCloudflareMetadata(header);
  if (metadata.ok) {
    exchange.entry.metadata = metadata.metadata;
    return true;
  }
  const { message } = metadata;
  sendOpenAIError({ exchange, status: 400, message, code: 'invalid_metadata', headers });
  return false;
}

/**
 * The upstream the model string names (REST and compat name models differently), recorded on
 * the log entry; refuses a model that names none, and a dynamic route asked for a format other
 * than Chat Completions.
 */
function resolveUpstream(step: CloudflareStep): CloudflareUpstream | undefined {
  const { exchange, route, gateway, headers } = step;
  const model = exchange.entry.model;
  const refuse = (options: { status: number; message: string; code: string }) => {
    sendOpenAIError({ exchange, ...options, param: 'model', headers });
    return undefined;
  };
  let upstream: CloudflareUpstream | undefined;
  if (route.api === 'rest' && model !== undefined) {
    const rest = resolveRestUpstream({ model, gateway, gatewayNamed: route.gatewayNamed });
    if (!rest.ok) {
      const code = rest.status === 404 ? 'not_found' : 'invalid_model';
      return refuse({ status: rest.status, message: rest.message, code });
    }
    upstream = rest.upstream;
  } else if (model !== undefined) {
    upstream = resolveCloudflareUpstream({ model, gateway });
  }
  if (upstream === undefined) {
    const message = `Invalid model ${JSON.stringify(model ?? null)}: Cloudflare /compat models are "provider/model", e.g. "openai/gpt-4o-mini"`;
    return refuse({ status: 400, message, code: 'invalid_model' });
  }
  exchange.entry.provider = upstream.provider;
  if (upstream.dynamicRoute !== undefined && route.endpoint === 'responses') {
    // Dynamic routes accept only the Chat Completions shape; other formats get 400
    // (https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/).
    const message = `Dynamic route ${JSON.stringify(upstream.dynamicRoute)} accepts only the Chat Completions format`;
    return refuse({ status: 400, message, code: 'invalid_model' });
  }
  return upstream;
}

/** Chooses the credential that pays (recorded, and named in a header); refuses when none can. */
function admitCredential(step: CloudflareStep & { provider: string }): boolean {
  const { exchange, gateway, headers, provider } = step;
  const requestHeaders = exchange.entry.headers;
  const resolved =
    step.route.api === 'rest'
      ? resolveRestCredential({ gateway, headers: requestHeaders, provider })
      : resolveCloudflareCredential({
          gateway,
          headers: requestHeaders,
          provider,
          providerKeys: step.cloudflare?.providerKeys,
        });
  if (resolved.credential !== undefined) {
    exchange.entry.credential = resolved.credential;
    headers[credentialHeader] = resolved.credential;
  }
  if (resolved.ok) return true;
  sendJson({ exchange, status: resolved.status, body: resolved.body, headers });
  return false;
}

/**
 * The cache key when the request asked for caching (`cf-aig-cache-key` or `cf-aig-cache-ttl`,
 * without `cf-aig-skip-cache: true`), and whether it is a hit: `cf-aig-cache-status` says so.
 */
function lookUpCache(
  step: CloudflareStep & { body: Readonly<Record<string, unknown>> },
): string | undefined {
  const { exchange, route, headers } = step;
  const requestHeaders = exchange.entry.headers;
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
          step.body,
        ])
      : undefined;
  const hit = cacheKey !== undefined && step.cache.has({ key: cacheKey, now: performance.now() });
  exchange.entry.cacheStatus = hit ? 'HIT' : 'MISS';
  headers['cf-aig-cache-status'] = exchange.entry.cacheStatus;
  return cacheKey;
}

/** An OpenAI-compatible route checks its bearer key (or serves without one, when allowed), then the body. */
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
