/**
 * Cloudflare's REST API for AI Gateway (`/client/v4/accounts/{accountId}/ai/v1/...`): a
 * Cloudflare API token in `Authorization`, the gateway named by `cf-aig-gateway-id` (else the
 * account's default gateway), Workers AI models as `@cf/...`, and third-party models paid by a
 * stored key or Unified Billing. Sources: https://developers.cloudflare.com/ai-gateway/usage/rest-api/
 * and https://developers.cloudflare.com/changelog/post/2026-05-21-rest-api/.
 */
import { readBearerToken } from './bearer-token.ts';
import {
  type AuthRefusal,
  type CloudflareUpstream,
  type EmulatedGatewayOptions,
  type EmulatorCredential,
  resolveCloudflareUpstream,
} from './cloudflare-auth.ts';
import { createNoWholesaleBody } from './error-bodies.ts';

/**
 * The Cloudflare API's own error envelope (`errors`, plural), which `api.cloudflare.com` returns
 * for authentication failures; code 10000 is "Authentication error".
 */
export type CloudflareApiErrorBody = {
  result: null;
  success: false;
  errors: { code: number; message: string }[];
  messages: [];
};

/** Builds the Cloudflare API error envelope. */
export function createCloudflareApiErrorBody(options: {
  code: number;
  message: string;
}): CloudflareApiErrorBody {
  return {
    result: null,
    success: false,
    errors: [{ code: options.code, message: options.message }],
    messages: [],
  };
}

/**
 * The REST API's authentication: `Authorization: Bearer <Cloudflare API token>`, one of
 * `apiTokens` (any non-empty token when the list is undefined). A missing or unknown token gets
 * 401 with code 10000 ("Authentication error", the Cloudflare API envelope,
 * https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/).
 */
export function checkApiToken(options: {
  apiTokens: readonly string[] | undefined;
  headers: Readonly<Record<string, string>>;
}): { ok: true } | AuthRefusal {
  const token = readBearerToken(options.headers['authorization']);
  if (token !== undefined && (options.apiTokens === undefined || options.apiTokens.includes(token)))
    return { ok: true };
  return {
    ok: false,
    status: 401,
    body: createCloudflareApiErrorBody({ code: 10000, message: 'Authentication error' }),
  };
}

/**
 * The upstream a REST model string names: `@cf/...` is Workers AI (it needs
 * `cf-aig-gateway-id`), `dynamic/<route>` a route of the named gateway (without the header the
 * request resolves against the default gateway and gets 404), anything else `author/model`.
 */
export function resolveRestUpstream(options: {
  model: string;
  gateway: EmulatedGatewayOptions | undefined;
  gatewayNamed: boolean;
}): { ok: true; upstream: CloudflareUpstream } | { ok: false; status: number; message: string } {
  const { model } = options;
  if (model.startsWith('@cf/')) {
    if (!options.gatewayNamed) {
      return {
        ok: false,
        status: 400,
        message: `Workers AI model ${JSON.stringify(model)} needs the cf-aig-gateway-id header`,
      };
    }
    return { ok: true, upstream: { provider: 'workers-ai', model } };
  }
  if (model.startsWith('dynamic/') && !options.gatewayNamed) {
    return {
      ok: false,
      status: 404,
      message: `Route ${JSON.stringify(model.slice('dynamic/'.length))} not found on the default gateway; name the route's gateway with cf-aig-gateway-id`,
    };
  }
  const upstream = resolveCloudflareUpstream({ model, gateway: options.gateway });
  if (upstream === undefined) {
    return {
      ok: false,
      status: 400,
      message: `Invalid model ${JSON.stringify(model)}: REST models are "author/model" (e.g. "openai/gpt-4o-mini"), "@cf/..." or "dynamic/<route>"`,
    };
  }
  return { ok: true, upstream };
}

/**
 * Which credential pays for a REST request. The `Authorization` header is the Cloudflare token,
 * so it never reaches the provider. In order: Workers AI models are billed to the account;
 * a stored key for the provider; `cf-aig-no-wholesale: true` → 400 rather than spending credits;
 * Unified Billing, on unless the gateway sets `unifiedBilling: false` (then 400, as a gateway
 * that requires provider credentials answers).
 */
export function resolveRestCredential(options: {
  gateway: EmulatedGatewayOptions | undefined;
  headers: Readonly<Record<string, string>>;
  provider: string;
}): { ok: true; credential: EmulatorCredential } | AuthRefusal {
  const { gateway, provider } = options;
  if (provider === 'workers-ai') return { ok: true, credential: 'workers-ai' };
  if (gateway?.storedKeys?.includes(provider) === true) return { ok: true, credential: 'stored' };
  const noWholesale = options.headers['cf-aig-no-wholesale']?.trim().toLowerCase() === 'true';
  if (!noWholesale && gateway?.unifiedBilling !== false) {
    return { ok: true, credential: 'unified-billing' };
  }
  return {
    ok: false,
    status: 400,
    body: createNoWholesaleBody({
      message: `No provider credentials for "${provider}": the gateway has no stored key for it, and ${noWholesale ? 'cf-aig-no-wholesale forbids' : 'the gateway does not allow'} Unified Billing.`,
    }),
  };
}
