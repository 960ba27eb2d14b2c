/**
 * `dynamicRoute` on an alias: the alias is served by the Cloudflare dynamic route compiled from
 * its chain (`switchyard routes push`). The route replaces the chain's leading targets on its
 * Cloudflare gateway with one target, `<gateway>:dynamic/<name>` (the model string Cloudflare
 * documents for calling a route:
 * https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/); the rest of the
 * chain stays client-side, behind it.
 */
import type { ConfigPath, ReportIssue } from '../gateways/config-issues.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { maxRouteRetries, routeNamePattern, splitForRoute } from './dynamic-route.ts';
import type {
  AliasRoute,
  GatewayRoute,
  RetryPolicy,
  Timeouts,
  UpstreamRoute,
} from './route-table.ts';

/** Options of {@link serveThroughRoute}. */
export type ServeThroughRouteOptions = {
  alias: string;
  routeName: string;
  /** The alias's flat chain, by upstream name. */
  targets: readonly string[];
  upstreams: ReadonlyMap<string, UpstreamRoute>;
  gateways: ReadonlyMap<string, GatewayRoute>;
  /** The alias's retry policy and limits (a `model` element's tries and timeout). */
  retry: RetryPolicy;
  timeouts: Timeouts;
  /** Where `dynamicRoute` is written. */
  path: ConfigPath;
  report: ReportIssue;
};

/** What serving an alias through its route changes. */
export type ServedThroughRoute = {
  /** `<gateway>:dynamic/<name>`, then the client-side rest of the chain. */
  readonly targets: readonly string[];
  readonly dynamicRoute: NonNullable<AliasRoute['dynamicRoute']>;
  /** The route's own upstream (`<gateway>:dynamic/<name>`), for the table. */
  readonly upstream: UpstreamRoute;
};

/** The alias's chain with its route in front, or undefined (reported) when it cannot be. */
export function serveThroughRoute(
  options: ServeThroughRouteOptions,
): ServedThroughRoute | undefined {
  const { upstreams, routeName, report, path } = options;
  if (!routeNamePattern.test(routeName)) {
    report(
      'INVALID_VALUE',
      path,
      'a route name is lowercase letters, digits and "-", at most 64 characters',
    );
    return undefined;
  }
  const result = splitForRoute({
    alias: options.alias,
    targets: options.targets,
    upstreams: (name) => upstreams.get(name),
    gateways: (name) => options.gateways.get(name),
  });
  if (!result.ok) {
    for (const problem of result.problems) {
      report(
        'INVALID_VALUE',
        path,
        `alias "${options.alias}" cannot be served by a dynamic route: ${problem}`,
      );
    }
    return undefined;
  }
  const { gateway, edge, clientSide } = result.split;
  const model = `dynamic/${routeName}`;
  const name = `${gateway.name}:${model}`;
  const kinds = new Set(edge.flatMap((upstream) => upstream.kind ?? []));
  const [kind] = kinds;
  const upstream: UpstreamRoute =
    upstreams.get(name) ??
    Object.freeze({
      name,
      gateway: gateway.name,
      model,
      ...(kind === undefined ? {} : { kind }),
      provider: 'dynamic',
      params: freezeRecord({}),
      options: freezeRecord({}),
    });
  return {
    targets: Object.freeze([name, ...clientSide]),
    dynamicRoute: Object.freeze({
      name: routeName,
      gateway: gateway.name,
      edge: Object.freeze(edge.map((each) => each.name)),
      attemptMs: routeAttemptMs({ ...options, models: edge.length }),
    }),
    upstream,
  };
}

/**
 * How long one request to the route may take: each `model` element tried `1 + retries` times
 * (retries capped as the route caps them) at the alias's attempt limit, plus one attempt limit
 * for the gateway itself, and never past the deadline.
 */
function routeAttemptMs(options: {
  models: number;
  retry: RetryPolicy;
  timeouts: Timeouts;
}): number {
  const { retry, timeouts } = options;
  const tries = Math.min(retry.attempts, maxRouteRetries + 1);
  return Math.min(timeouts.totalMs, (options.models * tries + 1) * timeouts.attemptMs);
}
