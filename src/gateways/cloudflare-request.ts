/**
 * What the router asks of a Cloudflare gateway per call, kept with the gateway rather than in
 * the router: the provider of a `<gateway>:<provider>/<model>` name, the tries the gateway makes
 * itself (`cf-aig-max-attempts`), the call's context in `cf-aig-metadata`, and which targets
 * can serve the OpenAI Responses API.
 */
import type { GatewayRoute, TargetOptions, UpstreamRoute } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import { cloudflareProvider } from './cloudflare-config.ts';

/** The upstream fields of a direct name on a Cloudflare gateway; throws when it names no provider. */
export function cloudflareDirectModel(options: { gateway: GatewayRoute; model: string }): {
  readonly provider?: string;
} {
  const provider = cloudflareProvider(options.model);
  if (provider === undefined) {
    throw new RouterError(
      `[${options.gateway.name} → ${options.model}] Cloudflare models are provider/model (e.g. openai/gpt-4o-mini)`,
      { code: 'INVALID_REQUEST' },
    );
  }
  return { provider };
}

/** Requests the gateway itself makes per request sent to it (`cf-aig-max-attempts`), 1 when unset. */
export function cloudflareGatewayAttempts(options: TargetOptions): number {
  return options.maxAttempts ?? 1;
}

/**
 * A target's headers with the call's context merged into `cf-aig-metadata` (over the
 * configured metadata: the call's value wins on the same key). Cloudflare keeps at most 5
 * entries; past that, the configured entries are kept and the call's extra keys dropped.
 */
export function withContextMetadata(
  headers: Readonly<Record<string, string>>,
  context: Readonly<Record<string, unknown>>,
): Readonly<Record<string, string>> {
  let configured: Record<string, unknown> = {};
  const existing = headers['cf-aig-metadata'];
  if (existing !== undefined) {
    try {
      configured = JSON.parse(existing) as Record<string, unknown>;
    } catch {
      configured = {};
    }
  }
  const merged: Record<string, unknown> = { ...configured };
  for (const [key, value] of Object.entries(context)) {
    if (Object.hasOwn(merged, key) || Object.keys(merged).length < 5) merged[key] = value;
  }
  return { ...headers, 'cf-aig-metadata': JSON.stringify(merged) };
}

/**
 * Why a target on a Cloudflare gateway cannot serve the Responses API, or undefined when it can.
 * Cloudflare serves it only on its REST API (`/ai/v1/responses`); its compat endpoint documents
 * chat completions only, and dynamic routes accept only the Chat Completions shape
 * (https://developers.cloudflare.com/ai-gateway/usage/rest-api/,
 * https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/).
 */
export function cloudflareResponsesUnsupported(options: {
  gateway: GatewayRoute;
  upstream: UpstreamRoute;
}): string | undefined {
  const { gateway, upstream } = options;
  if (gateway.cloudflare?.endpoint !== 'rest') {
    return `gateway "${gateway.name}" uses Cloudflare's compat endpoint, which has no Responses API; set endpoint: rest on it`;
  }
  if (upstream.model.startsWith('dynamic/')) {
    return `"${upstream.model}" is a dynamic route, and Cloudflare routes accept only chat completions`;
  }
  return undefined;
}
