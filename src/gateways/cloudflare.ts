/**
 * Cloudflare AI Gateway: the OpenAI-compatible endpoint
 * (`https://gateway.ai.cloudflare.com/v1/{accountId}/{gatewayId}/compat`) in its three auth modes,
 * the REST API (`https://api.cloudflare.com/client/v4/accounts/{accountId}/ai/v1`) with a
 * Cloudflare API token, and the gateway's features as `cf-aig-*` request headers (the same on both).
 * What a config may say about it is checked in `cloudflare-config.ts`.
 */
import type {
  GatewayAuth,
  GatewayRoute,
  TargetOptions,
  UpstreamRoute,
} from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import {
  checkCloudflareCredentials,
  checkCloudflareUpstream,
  cloudflareDefaultBaseURL,
  cloudflareEmulatorKey,
  cloudflareOptionKeys,
  compileCloudflareGateway,
} from './cloudflare-config.ts';
import {
  cloudflareDirectModel,
  cloudflareGatewayAttempts,
  cloudflareResponsesUnsupported,
  withContextMetadata,
} from './cloudflare-request.ts';
import { staticHeaders } from './openai-compatible.ts';
import type { ClientSetup, GatewayAdapter } from './types.ts';
import { noKeyPlaceholder } from './types.ts';

/** The Cloudflare AI Gateway adapter. */
export const cloudflareAdapter: GatewayAdapter = {
  type: 'cloudflare',
  label: 'Cloudflare',
  defaultBaseURL: cloudflareDefaultBaseURL,
  credentialKeys: 'auth.token and auth.keys',
  optionKeys: cloudflareOptionKeys,
  checkCredentials: checkCloudflareCredentials,
  compileGateway: compileCloudflareGateway,
  checkUpstream: checkCloudflareUpstream,
  // The emulator serves Cloudflare's own paths (/v1/{account}/{gateway}/compat, /client/v4/…).
  emulatorPath: undefined,
  emulatorHint: ({ origin, gateway }) =>
    gateway === undefined
      ? `${origin}   (the /v1/<account>/<gateway>/compat path follows; with endpoint: rest, /client/v4/accounts/<account>/ai/v1)`
      : origin,
  emulatorRouteName: cloudflareEmulatorKey,
  clientSetup: ({ gateway, upstream }) => cloudflareClientSetup(gateway, upstream),
  requestExtras: ({ options }) => ({ headers: cloudflareHeaders(options), body: {} }),
  directModel: cloudflareDirectModel,
  gatewayAttempts: cloudflareGatewayAttempts,
  withContext: withContextMetadata,
  responsesUnsupported: cloudflareResponsesUnsupported,
};

type GatewayAuthOf<Mode extends GatewayAuth['mode']> = Extract<GatewayAuth, { mode: Mode }>;

/** How a client reaches the gateway, by the gateway's auth mode. */
export function cloudflareClientSetup(gateway: GatewayRoute, upstream: UpstreamRoute): ClientSetup {
  const auth = gateway.auth;
  switch (auth.mode) {
    case 'api-token':
      return apiTokenSetup(gateway, auth);
    case 'stored-keys':
      return storedKeysSetup(gateway, auth);
    case 'provider-keys':
    case 'provider-keys+token':
      return providerKeysSetup(gateway, upstream, auth);
    default:
      throw new RouterError(`gateway "${gateway.name}" has no Cloudflare auth`, {
        code: 'INVALID_REQUEST',
      });
  }
}

/**
 * The REST API: the Cloudflare API token is the SDK's bearer key. The gateway is named by
 * cf-aig-gateway-id (without it, the account's default gateway). Calls are paid by a stored key,
 * else Unified Billing, which cf-aig-no-wholesale refuses unless opted in.
 */
function apiTokenSetup(gateway: GatewayRoute, auth: GatewayAuthOf<'api-token'>): ClientSetup {
  const { headers, secrets } = staticHeaders(gateway);
  const token = auth.token.reveal();
  const gatewayId = gateway.cloudflare?.gatewayId;
  return {
    gateway: gateway.name,
    key: gateway.name,
    apiKey: token,
    baseURL: gateway.baseURL,
    defaultHeaders: {
      ...headers,
      ...(gatewayId === undefined ? {} : { 'cf-aig-gateway-id': gatewayId }),
      ...(auth.unifiedBilling ? {} : { 'cf-aig-no-wholesale': 'true' }),
    },
    secrets: [...secrets, token],
  };
}

/**
 * Keys stored in the gateway: any Authorization header would be forwarded to the provider and
 * beat the stored key, so the SDK's is removed. Without a stored key Cloudflare would bill
 * Unified Billing credits; `cf-aig-no-wholesale` makes that a 400 unless the config opts in.
 */
function storedKeysSetup(gateway: GatewayRoute, auth: GatewayAuthOf<'stored-keys'>): ClientSetup {
  const { headers, secrets } = staticHeaders(gateway);
  const token = auth.token.reveal();
  return {
    gateway: gateway.name,
    key: gateway.name,
    apiKey: noKeyPlaceholder,
    baseURL: gateway.baseURL,
    defaultHeaders: {
      ...headers,
      authorization: null,
      'cf-aig-authorization': `Bearer ${token}`,
      ...(auth.unifiedBilling ? {} : { 'cf-aig-no-wholesale': 'true' }),
    },
    secrets: [...secrets, token],
  };
}

/** The provider's own key as the bearer key (one client per provider), plus the gateway token when set. */
function providerKeysSetup(
  gateway: GatewayRoute,
  upstream: UpstreamRoute,
  auth: GatewayAuthOf<'provider-keys' | 'provider-keys+token'>,
): ClientSetup {
  const { headers, secrets } = staticHeaders(gateway);
  const provider = upstream.provider ?? '';
  const key = Object.hasOwn(auth.keys, provider) ? auth.keys[provider] : undefined;
  if (key === undefined) {
    throw new RouterError(
      `[${gateway.name} → ${upstream.model}] no key for provider "${provider}" on gateway "${gateway.name}" (keys for: ${Object.keys(auth.keys).join(', ')}); add it under auth.keys or use keys: stored`,
      { code: 'INVALID_REQUEST' },
    );
  }
  const apiKey = key.reveal();
  const token = auth.mode === 'provider-keys+token' ? auth.token.reveal() : undefined;
  return {
    gateway: gateway.name,
    key: `${gateway.name}\u0000${provider}`,
    apiKey,
    baseURL: gateway.baseURL,
    defaultHeaders:
      token === undefined ? headers : { ...headers, 'cf-aig-authorization': `Bearer ${token}` },
    secrets: token === undefined ? [...secrets, apiKey] : [...secrets, apiKey, token],
  };
}

/** `cf-aig-*` headers for merged options. */
export function cloudflareHeaders(options: TargetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) headers[name] = String(value);
  };
  set('cf-aig-cache-ttl', options.cacheTtlSeconds);
  set('cf-aig-skip-cache', options.skipCache);
  set('cf-aig-cache-key', options.cacheKey);
  if (options.metadata !== undefined && Object.keys(options.metadata).length > 0) {
    headers['cf-aig-metadata'] = JSON.stringify(options.metadata);
  }
  set('cf-aig-collect-log', options.collectLog);
  set('cf-aig-collect-log-payload', options.collectLogPayload);
  set('cf-aig-request-timeout', options.requestTimeoutMs);
  set('cf-aig-max-attempts', options.maxAttempts);
  set('cf-aig-retry-delay', options.retryDelayMs);
  set('cf-aig-backoff', options.backoff);
  set('cf-aig-event-id', options.eventId);
  if (options.customCost !== undefined) {
    headers['cf-aig-custom-cost'] = JSON.stringify({
      per_token_in: options.customCost.perTokenIn,
      per_token_out: options.customCost.perTokenOut,
    });
  }
  set('cf-aig-byok-alias', options.byokAlias);
  set('cf-aig-zdr', options.zdr);
  return headers;
}
