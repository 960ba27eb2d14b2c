/**
 * Which targets can serve the OpenAI Responses API: each gateway says (Cloudflare only on its
 * REST API; see `gateways/cloudflare-request.ts`). Vercel (`/v1/responses`), OpenRouter
 * (`/api/v1/responses`) and OpenAI-compatible endpoints are sent the request as configured.
 */
import type { GatewayRoute, UpstreamRoute } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import type { ResolvedPlan } from './resolve-plan.ts';

/** Why a target cannot serve the Responses API, or undefined when it can. */
export function responsesUnsupportedReason(options: {
  gateway: GatewayRoute;
  upstream: UpstreamRoute;
}): string | undefined {
  return gatewayAdapters[options.gateway.type].responsesUnsupported?.(options);
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
