/**
 * An alias's fallback chain compiled into a Cloudflare dynamic route: the leading targets on
 * the first target's Cloudflare gateway become `model` elements (retries and per-attempt
 * timeout carried over, `fallback` outputs chained, a final `end`); targets on other gateways
 * stay client-side, behind the route. The element shapes follow Cloudflare's published API
 * schema (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/);
 * the subset relied on is `schema/cloudflare-dynamic-route.schema.json`.
 */
import type { GatewayRoute, RetryPolicy, Timeouts, UpstreamRoute } from './route-table.ts';

/** An element's output: the element it leads to. */
export type RouteOutput = { readonly elementId: string };

/** The elements Switchyard writes (Cloudflare also has `conditional`, `percentage` and `rate`). */
export type RouteElement =
  | {
      readonly id: string;
      readonly type: 'start';
      readonly outputs: { readonly next: RouteOutput };
    }
  | {
      readonly id: string;
      readonly type: 'model';
      readonly properties: {
        /** Provider slug, e.g. `openai`, `anthropic`, `workers-ai`. */
        readonly provider: string;
        /** The provider's model id. */
        readonly model: string;
        /** Retries after the first try. */
        readonly retries: number;
        /** Per-attempt timeout, in milliseconds. */
        readonly timeout: number;
      };
      readonly outputs: { readonly success: RouteOutput; readonly fallback: RouteOutput };
    }
  | {
      readonly id: string;
      readonly type: 'end';
      readonly outputs: Readonly<Record<string, never>>;
    };

/** A route as sent to Cloudflare's routes API (`POST .../routes`). */
export type DynamicRouteDefinition = {
  readonly name: string;
  readonly elements: readonly RouteElement[];
};

/** Route names: lowercase letters, digits and `-` (the form Cloudflare's examples use). */
export const routeNamePattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Cloudflare's gateway-side retry limit, which a `model` element's `retries` shares. */
export const maxRouteRetries = 5;

/** Where an alias's chain splits: the part the route runs, the part left client-side. */
export type RouteSplit = {
  /** The Cloudflare gateway that runs the route. */
  readonly gateway: GatewayRoute;
  /** Upstreams that become `model` elements, in order. */
  readonly edge: readonly UpstreamRoute[];
  /** Upstream names that stay client-side, behind the route. */
  readonly clientSide: readonly string[];
};

/**
 * Splits a chain for a route, or says why it cannot be expressed. The route runs the leading
 * targets on the first target's gateway, which must be Cloudflare with keys stored in Cloudflare
 * (routes call providers with stored keys); such a target must carry no `params` or `options` of
 * its own (a `model` element has nowhere to put them) and not be a route itself. A target on
 * that gateway after a target on another one cannot keep its place in the order.
 */
export function splitForRoute(options: {
  alias: string;
  targets: readonly string[];
  upstreams: (name: string) => UpstreamRoute | undefined;
  gateways: (name: string) => GatewayRoute | undefined;
}): { ok: true; split: RouteSplit } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const first = options.upstreams(options.targets[0] ?? '');
  const gateway = first === undefined ? undefined : options.gateways(first.gateway);
  if (first === undefined || gateway === undefined) {
    return { ok: false, problems: [`alias "${options.alias}" has no target to compile`] };
  }
  if (gateway.type !== 'cloudflare') {
    return {
      ok: false,
      problems: [
        `its first target "${first.name}" is on gateway "${gateway.name}" (${gateway.type}); a dynamic route runs inside one Cloudflare gateway, so the whole chain stays client-side`,
      ],
    };
  }
  if (gateway.auth.mode !== 'stored-keys' && gateway.auth.mode !== 'api-token') {
    problems.push(
      `gateway "${gateway.name}" sends provider keys with each request, but a route calls providers with keys stored in Cloudflare: use keys: stored`,
    );
  }
  if (gateway.cloudflare?.endpoint === 'rest' && gateway.cloudflare.gatewayId === undefined) {
    problems.push(
      `gateway "${gateway.name}" has no gatewayId; a route belongs to one gateway, which REST calls name with cf-aig-gateway-id`,
    );
  }
  const edge: UpstreamRoute[] = [];
  const clientSide: string[] = [];
  for (const name of options.targets) {
    const upstream = options.upstreams(name);
    if (upstream === undefined) continue;
    const onGateway = upstream.gateway === gateway.name;
    if (onGateway && clientSide.length > 0) {
      problems.push(
        `target "${name}" is on gateway "${gateway.name}" after "${clientSide[0]}" on another gateway; the route runs only the leading targets on "${gateway.name}", so reorder the targets (or leave "${name}" out)`,
      );
      continue;
    }
    if (!onGateway) {
      clientSide.push(name);
      continue;
    }
    if (upstream.model.startsWith('dynamic/')) {
      problems.push(`target "${name}" is itself a dynamic route ("${upstream.model}")`);
    }
    const routeModel = routeModelOf({ gateway, model: upstream.model });
    if (routeModel.problem !== undefined) problems.push(`target "${name}": ${routeModel.problem}`);
    const own = [
      ...Object.keys(upstream.params).map((key) => `params.${key}`),
      ...Object.keys(upstream.options).map((key) => `options.${key}`),
    ];
    if (own.length > 0) {
      problems.push(
        `upstream "${name}" sets ${own.join(', ')}, which a route's model element cannot carry; move them to the alias or the gateway`,
      );
    }
    edge.push(upstream);
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, split: { gateway, edge, clientSide } };
}

/**
 * Author names the REST API writes (`author/model`) that are not the provider slugs a route's
 * `model` element takes: xAI's gateway slug is `grok`
 * (https://developers.cloudflare.com/ai-gateway/usage/providers/grok/).
 */
const routeProviderSlugs: ReadonlyMap<string, string> = new Map([['xai', 'grok']]);

/**
 * Author names that stand for more than one provider slug, so a route cannot be written for them
 * without a guess: Google is `google-ai-studio` or `google-vertex-ai`
 * (https://developers.cloudflare.com/ai-gateway/usage/providers/google-ai-studio/,
 * https://developers.cloudflare.com/ai-gateway/usage/providers/vertex/).
 */
const ambiguousProviders: ReadonlyMap<string, string> = new Map([
  ['google', 'google-ai-studio or google-vertex-ai'],
]);

/** The route provider and model of a Cloudflare model string, or why it has none. */
export function routeModelOf(options: {
  gateway: GatewayRoute;
  model: string;
}): { provider: string; model: string; problem?: undefined } | { problem: string } {
  const { model } = options;
  if (model.startsWith('@cf/')) return { provider: 'workers-ai', model };
  const slash = model.indexOf('/');
  const author = model.slice(0, slash);
  const ambiguous = ambiguousProviders.get(author);
  if (ambiguous !== undefined) {
    return {
      problem: `model "${model}" names "${author}", which a route's model element cannot name: Cloudflare's provider slug is ${ambiguous}; use an upstream whose model starts with the slug`,
    };
  }
  return { provider: routeProviderSlugs.get(author) ?? author, model: model.slice(slash + 1) };
}

/** The `provider` and `model` of an element (splitForRoute has refused any model without them). */
function routeModelFields(routeModel: ReturnType<typeof routeModelOf>): {
  provider: string;
  model: string;
} {
  if (routeModel.problem !== undefined) throw new Error(routeModel.problem);
  return { provider: routeModel.provider, model: routeModel.model };
}

/**
 * The route for a split: `start` → one `model` element per edge upstream, each `success` to
 * `end` and `fallback` to the next (the last one's to `end`, which returns an error when no model
 * answered). `retries` is the alias's attempts minus one, capped at {@link maxRouteRetries};
 * `timeout` is its per-attempt limit.
 */
export function buildRoute(options: {
  name: string;
  split: RouteSplit;
  retry: RetryPolicy;
  timeouts: Timeouts;
}): { route: DynamicRouteDefinition; notes: string[] } {
  const { split } = options;
  const notes: string[] = [];
  const wanted = options.retry.attempts - 1;
  const retries = Math.min(wanted, maxRouteRetries);
  if (wanted > retries) {
    notes.push(
      `retries capped at ${maxRouteRetries} per model (the alias asks for ${options.retry.attempts} attempts)`,
    );
  }
  const ids = split.edge.map((_, index) => `model-${index + 1}`);
  const elements: RouteElement[] = [
    { id: 'start', type: 'start', outputs: { next: { elementId: ids[0] ?? 'end' } } },
    ...split.edge.map(
      (upstream, index): RouteElement => ({
        id: ids[index] ?? `model-${index + 1}`,
        type: 'model',
        properties: {
          ...routeModelFields(routeModelOf({ gateway: split.gateway, model: upstream.model })),
          retries,
          timeout: options.timeouts.attemptMs,
        },
        outputs: {
          success: { elementId: 'end' },
          fallback: { elementId: ids[index + 1] ?? 'end' },
        },
      }),
    ),
    { id: 'end', type: 'end', outputs: {} },
  ];
  return { route: { name: options.name, elements }, notes };
}
