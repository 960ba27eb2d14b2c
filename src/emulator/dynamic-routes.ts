/**
 * Cloudflare AI Gateway dynamic routes in the emulator, the store: the routes of each gateway,
 * their versions and deployments, and the views the routes API answers with
 * (dynamic-routes-api.ts serves the API; run-route.ts runs a deployed route). Shapes follow
 * Cloudflare's API reference
 * (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/).
 * Creating a route deploys its first version; every later `elements` change is a new version,
 * live once deployed. A route runs from `start`: a `model` element tries its model
 * `1 + retries` times (the emulator's faults apply to each try, matched by the element's
 * `provider/model`), then follows `success` or `fallback`; reaching `end` without an answer is
 * Cloudflare's 400 with code 2005.
 */

/** A route element as stored (the API's shape, unchecked beyond what execution needs). */
export type StoredElement = {
  id: string;
  type: string;
  properties?: Record<string, unknown>;
  outputs: Record<string, { elementId: string }>;
};

/** One version of a route's elements. */
export type StoredVersion = { version_id: string; created_at: string; elements: StoredElement[] };

/** One deployment: which version went live, and when. */
export type StoredDeployment = { deployment_id: string; version_id: string; created_at: string };

/** A route with its whole history; the last deployment names the live version. */
export type StoredRoute = {
  id: string;
  name: string;
  /** The account the route belongs to (the list's `account_tag`). */
  accountId: string;
  gatewayId: string;
  created_at: string;
  modified_at: string;
  versions: StoredVersion[];
  deployments: StoredDeployment[];
};

/** The deployed version of a route, as a request runs it. */
export type DeployedRoute = {
  readonly id: string;
  readonly name: string;
  readonly versionId: string;
  readonly elements: readonly StoredElement[];
};

/** The emulator's routes, by gateway. */
export type DynamicRouteStore = {
  /** Routes by id, per `"<accountId>/<gatewayId>"`. */
  readonly gateways: Map<string, Map<string, StoredRoute>>;
  /** The last number given to an id (route, version and deployment ids share it). */
  counter: number;
  /** Stamps `created_at` and `modified_at`, in milliseconds since the epoch. */
  readonly now: () => number;
};

/** Creates an empty store; `now` stamps `created_at` (milliseconds since the epoch). */
export function createDynamicRouteStore(options: { now: () => number }): DynamicRouteStore {
  return { gateways: new Map(), counter: 0, now: options.now };
}

/** A fresh id such as `route_000002`: one counter for every kind, so ids never repeat. */
export function nextId(options: { store: DynamicRouteStore; prefix: string }): string {
  options.store.counter += 1;
  return `${options.prefix}${String(options.store.counter).padStart(6, '0')}`;
}

/** The store's clock as an ISO timestamp, the API's format. */
export function stamp(store: DynamicRouteStore): string {
  return new Date(store.now()).toISOString();
}

/** The routes of one gateway, created empty on first use. */
export function routesOf(options: {
  store: DynamicRouteStore;
  accountId: string;
  gatewayId: string;
}): Map<string, StoredRoute> {
  const key = `${options.accountId}/${options.gatewayId}`;
  let routes = options.store.gateways.get(key);
  if (routes === undefined) {
    routes = new Map();
    options.store.gateways.set(key, routes);
  }
  return routes;
}

/** A version as the API shows it; `active` is a string, as Cloudflare sends it. */
export function viewVersion(options: { version: StoredVersion; active: boolean }) {
  const { version } = options;
  return {
    version_id: version.version_id,
    active: String(options.active),
    created_at: version.created_at,
    data: JSON.stringify(version.elements),
  };
}

/** The live version of a route, else its latest. */
function shownVersion(route: StoredRoute): StoredVersion | undefined {
  const deployment = route.deployments.at(-1);
  const live = route.versions.find((version) => version.version_id === deployment?.version_id);
  return live ?? route.versions.at(-1);
}

/**
 * A route without its version or deployment, as the answers to create version, create
 * deployment and delete show it (`DynamicRoutingCreateVersionResponse` and its siblings).
 */
export function summarizeRoute(route: StoredRoute) {
  return {
    id: route.id,
    name: route.name,
    gateway_id: route.gatewayId,
    created_at: route.created_at,
    modified_at: route.modified_at,
    elements: shownVersion(route)?.elements ?? [],
  };
}

/** A route as the list shows it: the full view and `account_tag` (the account id). */
export function listRoute(route: StoredRoute) {
  return { ...viewRoute(route), account_tag: route.accountId };
}

/** A route as the API shows it: the live version's elements, else the latest version's. */
export function viewRoute(route: StoredRoute) {
  const deployment = route.deployments.at(-1);
  const live = route.versions.find((version) => version.version_id === deployment?.version_id);
  const shown = live ?? route.versions.at(-1);
  return {
    id: route.id,
    name: route.name,
    gateway_id: route.gatewayId,
    created_at: route.created_at,
    modified_at: route.modified_at,
    elements: shown?.elements ?? [],
    deployment: deployment ?? null,
    version: shown === undefined ? null : viewVersion({ version: shown, active: shown === live }),
  };
}

/** The deployed version of the route `name` on a gateway, if any. */
export function findDeployedRoute(options: {
  store: DynamicRouteStore;
  accountId: string;
  gatewayId: string;
  name: string;
}): DeployedRoute | undefined {
  const { accountId, gatewayId, name } = options;
  const routes = options.store.gateways.get(`${accountId}/${gatewayId}`);
  if (routes === undefined) return undefined;
  const route = [...routes.values()].find((candidate) => candidate.name === name);
  if (route === undefined) return undefined;
  const deployment = route.deployments.at(-1);
  const version = route.versions.find((item) => item.version_id === deployment?.version_id);
  if (version === undefined) return undefined;
  return { id: route.id, name, versionId: version.version_id, elements: version.elements };
}
