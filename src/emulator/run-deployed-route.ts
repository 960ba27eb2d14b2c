/**
 * A request for `dynamic/<name>` whose route was deployed through the routes API: run the route
 * (faults per model element, each element's credential checked as a stored key or Unified
 * Billing), then answer as the model that served it, with `cf-aig-model` and `cf-aig-provider`;
 * or, when no model answered, Cloudflare's 400 with code 2005 ("Failed to get response from
 * provider", as reported in https://github.com/cloudflare/ai/issues/611).
 */
import type { Admission } from './admit-request.ts';
import {
  type EmulatorCloudflareOptions,
  findCloudflareGateway,
  resolveCloudflareCredential,
} from './cloudflare-auth.ts';
import { resolveRestCredential } from './cloudflare-rest.ts';
import { createCloudflareErrorBody } from './error-bodies.ts';
import { type Exchange, sendJson, wait } from './exchange.ts';
import type { FaultRegistry } from './fault-registry.ts';
import type { Fault } from './faults.ts';
import type { CloudflareRoute } from './routes.ts';
import { runRoute } from './run-route.ts';

/** Options for {@link runDeployedRoute}. */
export type RunDeployedRouteOptions = {
  /** The exchange; a failed route is answered on it. */
  exchange: Exchange;
  /** The Cloudflare route the request came in on. */
  route: CloudflareRoute;
  /** The admitted request, with the deployed route to run. */
  admission: Admission;
  /** The fault rules, drawn once per model try. */
  faults: FaultRegistry;
  /** Cloudflare emulation settings (stored keys, provider keys). */
  cloudflare: EmulatorCloudflareOptions | undefined;
};

/** The admission to answer with once a route has served, and the stream fault to play. */
export type ServedRoute = { admission: Admission; fault: Fault | undefined };

/**
 * Runs the admission's deployed route. Returns the admission to answer with (body `model` set to
 * the serving model) and the stream fault to play, or undefined once it has answered an error
 * (or the client went away).
 */
export async function runDeployedRoute(
  options: RunDeployedRouteOptions,
): Promise<ServedRoute | undefined> {
  const { exchange, route, admission } = options;
  const deployed = admission.route;
  if (deployed === undefined) return { admission, fault: undefined };
  const { entry } = exchange;
  const outcome = await runRoute({
    route: deployed,
    metadata: entry.metadata,
    take: (model) =>
      options.faults.take({
        model,
        path: entry.path,
        gateway: `${route.accountId}/${route.gatewayId}`,
        kind: 'cloudflare',
        stream: entry.stream,
      })?.fault,
    admit: (provider) => hasCredential({ ...options, provider }),
    wait: (ms) => wait({ ms, signal: exchange.signal }),
  });
  entry.route = { name: deployed.name, versionId: deployed.versionId, steps: outcome.steps };
  if (exchange.signal.aborted) return undefined;
  if (!outcome.ok) {
    const body = createCloudflareErrorBody({
      code: 2005,
      message: 'Failed to get response from provider',
    });
    sendJson({ exchange, status: 400, body, headers: admission.headers });
    return undefined;
  }
  entry.provider = outcome.provider;
  const { provider, model } = outcome;
  return {
    admission: {
      ...admission,
      body: { ...admission.body, model: `${provider}/${model}` },
      headers: { ...admission.headers, 'cf-aig-provider': provider, 'cf-aig-model': model },
    },
    fault: outcome.fault,
  };
}

/** Whether a model element's provider has a credential: a stored key or Unified Billing. */
function hasCredential(options: RunDeployedRouteOptions & { provider: string }): boolean {
  const { route, provider } = options;
  const headers = options.exchange.entry.headers;
  const gateway = findCloudflareGateway({
    cloudflare: options.cloudflare,
    accountId: route.accountId,
    gatewayId: route.gatewayId,
  });
  const resolved =
    route.api === 'rest'
      ? resolveRestCredential({ gateway, headers, provider })
      : resolveCloudflareCredential({
          gateway,
          headers,
          provider,
          providerKeys: options.cloudflare?.providerKeys,
        });
  return resolved.ok;
}
