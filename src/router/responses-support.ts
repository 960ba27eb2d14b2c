/**
 * Which targets can serve the OpenAI Responses API. Cloudflare serves it only on its REST API
 * (`/ai/v1/responses`); its compat endpoint documents chat completions only, and dynamic routes
 * accept only the Chat Completions shape
 * (https://developers.cloudflare.com/ai-gateway/usage/rest-api/,
 * https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/). Vercel
 * (`/v1/responses`), OpenRouter (`/api/v1/responses`) and OpenAI-compatible endpoints are sent
 * the request as configured.
 */
import type { GatewayRoute, UpstreamRoute } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import type { ResolvedPlan } from './resolve-plan.ts';

/** Why a target cannot serve the Responses API, or undefined when it can. */
export function responsesUnsupportedReason(options: {
  gateway: GatewayRoute;
  upstream: UpstreamRoute;
}): string | undefined {
  const { gateway, upstream } = options;
  if (gateway.type !== 'cloudflare') return undefined;
  if (gateway.cloudflare?.endpoint !== 'rest') {
    return `gateway "${gateway.name}" uses Cloudflare's compat endpoint, which has no Responses API; set endpoint: rest on it`;
  }
  if (upstream.model.startsWith('dynamic/')) {
    return `"${upstream.model}" is a dynamic route, and Cloudflare routes accept only chat completions`;
  }
  return undefined;
}

/** Throws `INVALID_REQUEST` naming every target of a plan that cannot serve the Responses API. */
export function assertServesResponses(plan: ResolvedPlan): void {
  const problems: string[] = [];
  for (const target of plan.targets) {
    const reason = responsesUnsupportedReason(target);
    if (reason !== undefined) problems.push(`${target.upstream.name}: ${reason}`);
  }
  if (problems.length === 0) return;
  throw new RouterError(
    `${plan.model}: responses.create needs every target to serve the Responses API; ${problems.join('; ')}. Use chat.completions.create, or an alias whose targets all serve it`,
    { code: 'INVALID_REQUEST' },
  );
}
