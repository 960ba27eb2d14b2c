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
import type { EmulatorRoute } from './routes.ts';
import { runRoute } from './run-route.ts';

/**
 * Runs the admission's deployed route. Returns the admission to answer with (body `model` set to
 * the serving model) and the stream fault to play, or undefined once it has answered an error
 * (or the client went away).
 */
export async function runDeployedRoute(options: {
  exchange: Exchange;
  route: Extract<EmulatorRoute, { kind: 'cloudflare' }>;
  admission: Admission;
  faults: FaultRegistry;
  cloudflare: EmulatorCloudflareOptions | undefined;
}): Promise<{ admission: Admission; fault: Fault | undefined } | undefined> {
  const { exchange, route, admission } = options;
  const deployed = admission.route;
  if (deployed === undefined) return { admission, fault: undefined };
  const { entry } = exchange;
  const gateway = findCloudflareGateway({
    cloudflare: options.cloudflare,
    accountId: route.accountId,
    gatewayId: route.gatewayId,
  });
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
    admit: (provider) => {
      const resolved =
        route.api === 'rest'
          ? resolveRestCredential({ gateway, headers: entry.headers, provider })
          : resolveCloudflareCredential({
              gateway,
              headers: entry.headers,
              provider,
              providerKeys: options.cloudflare?.providerKeys,
            });
      return resolved.ok;
    },
    wait: (ms) => wait({ ms, signal: exchange.signal }),
  });
  entry.route = { name: deployed.name, versionId: deployed.versionId, steps: outcome.steps };
  if (exchange.signal.aborted) return undefined;
  if (!outcome.ok) {
    sendJson({
      exchange,
      status: 400,
      body: createCloudflareErrorBody({
        code: 2005,
        message: 'Failed to get response from provider',
      }),
      headers: admission.headers,
    });
    return undefined;
  }
  entry.provider = outcome.provider;
  return {
    admission: {
      ...admission,
      body: { ...admission.body, model: `${outcome.provider}/${outcome.model}` },
      headers: {
        ...admission.headers,
        'cf-aig-provider': outcome.provider,
        'cf-aig-model': outcome.model,
      },
    },
    fault: outcome.fault,
  };
}
