/**
 * How an emulated Cloudflare AI Gateway authenticates: an open or an authenticated gateway
 * (`cf-aig-authorization`), keys stored in the gateway or sent per request, Unified Billing, and
 * the upstream a model string names (`provider/model`, `dynamic/<route>`). Refusals use
 * Cloudflare's error envelope.
 */
import { readBearerToken } from './bearer-token.ts';
import type { CloudflareApiErrorBody } from './cloudflare-rest.ts';
import {
  type CloudflareErrorBody,
  createCloudflareErrorBody,
  createNoWholesaleBody,
  createOpenAIErrorBody,
  type OpenAIErrorBody,
} from './error-bodies.ts';

/** How one emulated Cloudflare AI Gateway is set up. */
export type EmulatedGatewayOptions = {
  /**
   * Makes the gateway authenticated: every request must carry exactly
   * `cf-aig-authorization: Bearer <token>`, else 401 with Cloudflare's error envelope.
   * @default undefined (unauthenticated gateway)
   */
  token?: string;
  /**
   * Provider slugs (`openai`, `groq`, `workers-ai`, ...) with a key stored in the gateway (BYOK,
   * alias `default`). Only consulted on an authenticated gateway and only when the request has
   * no `Authorization` header.
   * @default []
   */
  storedKeys?: readonly string[];
  /**
   * Whether Cloudflare pays the provider (Unified Billing) when neither a request key nor a
   * stored key applies. On the compat endpoint it needs an authenticated gateway and is off
   * unless `true`; on the REST API (which bills third-party models through Unified Billing) it
   * is on unless `false`. `cf-aig-no-wholesale: true` refuses it on both.
   * @default false on the compat endpoint, true on the REST API
   */
  unifiedBilling?: boolean;
  /**
   * Dynamic routes of this gateway: route name → the `provider/model` it resolves to, reported
   * in `cf-aig-provider` / `cf-aig-model` for `model: "dynamic/<route>"`.
   * @default {} (every route resolves to {@link defaultDynamicRouteTarget})
   */
  dynamicRoutes?: Readonly<Record<string, string>>;
};

/** Cloudflare AI Gateway emulation settings. */
export type EmulatorCloudflareOptions = {
  /**
   * Gateways by `"<accountId>/<gatewayId>"`. Unlisted gateways are unauthenticated and have no
   * stored keys.
   * @default {}
   */
  gateways?: Readonly<Record<string, EmulatedGatewayOptions>>;
  /**
   * Provider keys each provider accepts, by provider slug. A request key not in the list gets the
   * provider's 401 (`invalid_api_key`), e.g. to show a placeholder `Authorization` being
   * forwarded in stored-keys mode. Providers not listed accept any non-empty bearer key.
   * @default {}
   */
  providerKeys?: Readonly<Record<string, readonly string[]>>;
  /**
   * Cloudflare API tokens the REST API (`/client/v4/accounts/{accountId}/...`) accepts in
   * `Authorization: Bearer`; any other gets 401 with code 10000.
   * @default undefined (any non-empty token is accepted)
   */
  apiTokens?: readonly string[];
};

/**
 * Which credential paid for a request: the request's own key (`request`), a key stored in the
 * gateway (`stored`), Cloudflare's Unified Billing (`unified-billing`), the account's Workers AI
 * billing (`workers-ai`, REST API `@cf/...` models), or none at all on an open OpenAI-compatible
 * endpoint (`none`).
 */
export type EmulatorCredential = 'request' | 'stored' | 'unified-billing' | 'workers-ai' | 'none';

/** The `provider/model` a `dynamic/<route>` model resolves to when the route is not configured. */
export const defaultDynamicRouteTarget = 'openai/gpt-4o-mini';

/** A refusal: the status and body to answer with. */
export type AuthRefusal = {
  ok: false;
  status: number;
  body:
    | OpenAIErrorBody
    | CloudflareErrorBody
    | CloudflareApiErrorBody
    | ReturnType<typeof createNoWholesaleBody>;
  /** The credential the request presented, when it got that far. */
  credential?: EmulatorCredential;
};

/** Looks up a gateway's options without reaching `Object.prototype` (e.g. a gateway `toString`). */
export function findCloudflareGateway(options: {
  cloudflare: EmulatorCloudflareOptions | undefined;
  accountId: string;
  gatewayId: string;
}): EmulatedGatewayOptions | undefined {
  const gateways = options.cloudflare?.gateways;
  const key = `${options.accountId}/${options.gatewayId}`;
  return gateways !== undefined && Object.hasOwn(gateways, key) ? gateways[key] : undefined;
}

/**
 * Gateway authentication: on a gateway with a `token`, the request must carry exactly
 * `cf-aig-authorization: Bearer <token>`. The refusal uses Cloudflare's envelope with code 2009.
 */
export function checkGatewayToken(options: {
  gateway: EmulatedGatewayOptions | undefined;
  headers: Readonly<Record<string, string>>;
}): { ok: true } | AuthRefusal {
  const token = options.gateway?.token;
  if (token === undefined || options.headers['cf-aig-authorization'] === `Bearer ${token}`) {
    return { ok: true };
  }
  return {
    ok: false,
    status: 401,
    body: createCloudflareErrorBody({ code: 2009, message: 'Unauthorized' }),
  };
}

/** Options for {@link resolveCloudflareCredential}. */
export type ResolveCloudflareCredentialOptions = {
  /** The gateway's options (undefined for an unlisted gateway). */
  gateway: EmulatedGatewayOptions | undefined;
  /** Lower-cased request headers. */
  headers: Readonly<Record<string, string>>;
  /** Upstream provider slug (for `dynamic/<route>`, the provider the route resolves to). */
  provider: string;
  /** Keys the providers accept (see {@link EmulatorCloudflareOptions.providerKeys}). */
  providerKeys: Readonly<Record<string, readonly string[]>> | undefined;
};

/**
 * Decides which credential serves a request, in Cloudflare's precedence order:
 * 1. an `Authorization` header is forwarded to the provider as is, and stored keys are never
 *    consulted (even a placeholder wins, which is why stored-keys clients must strip it);
 * 2. a stored key for the provider (authenticated gateways only);
 * 3. `cf-aig-no-wholesale: true` → 400 rather than spending Cloudflare credits;
 * 4. Unified Billing, when enabled on an authenticated gateway;
 * 5. otherwise the provider's own 401 for a missing key.
 */
export function resolveCloudflareCredential(
  options: ResolveCloudflareCredentialOptions,
): { ok: true; credential: EmulatorCredential } | AuthRefusal {
  const { gateway, headers, provider } = options;
  const authorization = headers['authorization'];
  if (authorization !== undefined) {
    const key = readBearerToken(authorization);
    const accepted =
      options.providerKeys !== undefined && Object.hasOwn(options.providerKeys, provider)
        ? options.providerKeys[provider]
        : undefined;
    if (key === undefined || (accepted !== undefined && !accepted.includes(key))) {
      return {
        ok: false,
        status: 401,
        credential: 'request',
        body: createOpenAIErrorBody({
          message: `Incorrect API key provided for provider "${provider}".`,
          code: 'invalid_api_key',
        }),
      };
    }
    return { ok: true, credential: 'request' };
  }
  const authenticated = gateway?.token !== undefined;
  if (authenticated && gateway?.storedKeys?.includes(provider) === true) {
    return { ok: true, credential: 'stored' };
  }
  if (headers['cf-aig-no-wholesale']?.trim().toLowerCase() === 'true') {
    return {
      ok: false,
      status: 400,
      body: createNoWholesaleBody({
        message: `No provider credentials for "${provider}": the request has no Authorization header, the gateway has no stored key for it, and cf-aig-no-wholesale forbids Unified Billing.`,
      }),
    };
  }
  if (authenticated && gateway?.unifiedBilling === true) {
    return { ok: true, credential: 'unified-billing' };
  }
  return {
    ok: false,
    status: 401,
    body: createOpenAIErrorBody({
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      code: 'missing_api_key',
    }),
  };
}

/** The upstream a Cloudflare `/compat` model string names. */
export type CloudflareUpstream = {
  /** Provider slug, the part before the first `/` (resolved through the route for `dynamic/`). */
  provider: string;
  /** Provider-side model id, the rest. */
  model: string;
  /** The route name, for `dynamic/<route>` models. */
  dynamicRoute?: string;
};

/**
 * Splits a `/compat` model string (`provider/model`) at its first `/`, resolving
 * `dynamic/<route>` through the gateway's routes. Returns `undefined` for a model without `/`.
 */
export function resolveCloudflareUpstream(options: {
  model: string;
  gateway: EmulatedGatewayOptions | undefined;
}): CloudflareUpstream | undefined {
  const split = (model: string) => {
    const slash = model.indexOf('/');
    return slash <= 0 || slash === model.length - 1
      ? undefined
      : { provider: model.slice(0, slash), model: model.slice(slash + 1) };
  };
  const direct = split(options.model);
  if (direct?.provider !== 'dynamic') return direct;
  const routes = options.gateway?.dynamicRoutes;
  const target =
    routes !== undefined && Object.hasOwn(routes, direct.model)
      ? routes[direct.model]
      : defaultDynamicRouteTarget;
  const resolved = split(target ?? defaultDynamicRouteTarget);
  return resolved === undefined ? undefined : { ...resolved, dynamicRoute: direct.model };
}
