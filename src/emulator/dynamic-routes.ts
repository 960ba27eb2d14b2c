/**
 * Cloudflare AI Gateway dynamic routes in the emulator: the routes API
 * (`/client/v4/accounts/{accountId}/ai-gateway/gateways/{gatewayId}/routes`, with `/versions`
 * and `/deployments`), and the routes a request for `model: "dynamic/<name>"` runs (run-route.ts
 * runs them). Shapes follow Cloudflare's API reference
 * (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/):
 * create, get, version and deploy answer `{success, result}`; the lists answer
 * `{success, data: {routes | versions | deployments, page, per_page, ...}}`. Creating a route
 * deploys its first version; every later `elements` change is a new version, live once deployed.
 * A route runs from `start`: a `model` element tries its model `1 + retries` times (the
 * emulator's faults apply to each try, matched by the element's `provider/model`), then follows
 * `success` or `fallback`; reaching `end` without an answer is Cloudflare's 400 with code 2005.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkApiToken, createCloudflareApiErrorBody } from './cloudflare-rest.ts';
import { isRecord } from './is-record.ts';
import { readBody } from './read-body.ts';

/** A route element as stored (the API's shape, unchecked beyond what execution needs). */
export type StoredElement = {
  id: string;
  type: string;
  properties?: Record<string, unknown>;
  outputs: Record<string, { elementId: string }>;
};

type Version = { version_id: string; created_at: string; elements: StoredElement[] };
type Deployment = { deployment_id: string; version_id: string; created_at: string };
type StoredRoute = {
  id: string;
  name: string;
  gatewayId: string;
  created_at: string;
  modified_at: string;
  versions: Version[];
  deployments: Deployment[];
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
  /**
   * Answers a routes API request. Returns false, having done nothing, when the path is not a
   * routes API path.
   */
  handle(options: {
    request: IncomingMessage;
    response: ServerResponse;
    pathname: string;
    headers: Readonly<Record<string, string>>;
    apiTokens: readonly string[] | undefined;
    maxBodyBytes: number;
  }): Promise<boolean>;
  /** The deployed version of the route `name` on a gateway, if any. */
  deployed(options: {
    accountId: string;
    gatewayId: string;
    name: string;
  }): DeployedRoute | undefined;
};

const routesPattern =
  /^\/client\/v4\/accounts\/([^/]+)\/ai-gateway\/gateways\/([^/]+)\/routes(?:\/([^/]+)(?:\/(versions|deployments))?)?$/;

/** Creates an empty store; `now` stamps `created_at` (milliseconds since the epoch). */
export function createDynamicRouteStore(options: { now: () => number }): DynamicRouteStore {
  const gateways = new Map<string, Map<string, StoredRoute>>();
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}${String(++counter).padStart(6, '0')}`;
  const stamp = () => new Date(options.now()).toISOString();
  const routesOf = (key: string) => {
    let routes = gateways.get(key);
    if (routes === undefined) {
      routes = new Map();
      gateways.set(key, routes);
    }
    return routes;
  };

  const view = (route: StoredRoute) => {
    const deployment = route.deployments.at(-1);
    const live = route.versions.find((version) => version.version_id === deployment?.version_id);
    const latest = route.versions.at(-1);
    const shown = live ?? latest;
    return {
      id: route.id,
      name: route.name,
      gateway_id: route.gatewayId,
      created_at: route.created_at,
      modified_at: route.modified_at,
      elements: shown?.elements ?? [],
      deployment: deployment ?? null,
      version:
        shown === undefined
          ? null
          : {
              version_id: shown.version_id,
              active: String(shown === live),
              created_at: shown.created_at,
              data: JSON.stringify(shown.elements),
            },
    };
  };

  return {
    async handle(handleOptions) {
      const match = routesPattern.exec(handleOptions.pathname);
      if (match === null) return false;
      const { request, response } = handleOptions;
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        response.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        response.end(text);
      };
      const fail = (status: number, code: number, message: string) =>
        reply(status, createCloudflareApiErrorBody({ code, message }));
      const auth = checkApiToken({
        apiTokens: handleOptions.apiTokens,
        headers: handleOptions.headers,
      });
      if (!auth.ok) {
        reply(auth.status, auth.body);
        return true;
      }
      const [, account = '', gateway = '', routeId, sub] = match;
      const key = `${decodeURIComponent(account)}/${decodeURIComponent(gateway)}`;
      const routes = routesOf(key);
      const method = request.method ?? 'GET';
      let body: unknown;
      if (method === 'POST' || method === 'PATCH') {
        try {
          body = JSON.parse(await readBody({ request, limit: handleOptions.maxBodyBytes }));
        } catch {
          fail(400, 7001, 'the body must be JSON');
          return true;
        }
      }
      const list = (name: string, items: unknown[]) =>
        reply(200, {
          success: true,
          data: {
            [name]: items,
            page: 1,
            per_page: items.length,
            order_by: 'created_at',
            order_by_direction: 'asc',
          },
        });
      if (routeId === undefined) {
        if (method === 'GET') {
          list('routes', [...routes.values()].map(view));
          return true;
        }
        if (method !== 'POST') {
          fail(405, 7000, `method ${method} not allowed`);
          return true;
        }
        const name = isRecord(body) ? body['name'] : undefined;
        const elements = checkElements(isRecord(body) ? body['elements'] : undefined);
        if (typeof name !== 'string' || name === '') {
          reply(400, validationError(['name'], 'Required'));
          return true;
        }
        if (!elements.ok) {
          reply(400, validationError(elements.path, elements.message));
          return true;
        }
        if ([...routes.values()].some((route) => route.name === name)) {
          fail(409, 7002, `a route named "${name}" already exists on this gateway`);
          return true;
        }
        const version: Version = {
          version_id: nextId('ver_'),
          created_at: stamp(),
          elements: elements.value,
        };
        const route: StoredRoute = {
          id: nextId('route_'),
          name,
          gatewayId: decodeURIComponent(gateway),
          created_at: version.created_at,
          modified_at: version.created_at,
          versions: [version],
          deployments: [
            {
              deployment_id: nextId('dep_'),
              version_id: version.version_id,
              created_at: version.created_at,
            },
          ],
        };
        routes.set(route.id, route);
        reply(200, { success: true, errors: [], messages: [], result: view(route) });
        return true;
      }
      const route = routes.get(decodeURIComponent(routeId));
      if (route === undefined) {
        fail(404, 7003, `no route ${routeId} on this gateway`);
        return true;
      }
      if (sub === undefined) {
        if (method === 'GET') {
          reply(200, { success: true, errors: [], messages: [], result: view(route) });
        } else if (method === 'DELETE') {
          routes.delete(route.id);
          reply(200, { success: true, errors: [], messages: [], result: view(route) });
        } else {
          fail(405, 7000, `method ${method} not allowed`);
        }
        return true;
      }
      if (sub === 'versions') {
        if (method === 'GET') {
          list(
            'versions',
            route.versions.map((version) => ({
              version_id: version.version_id,
              active: String(route.deployments.at(-1)?.version_id === version.version_id),
              created_at: version.created_at,
              data: JSON.stringify(version.elements),
            })),
          );
          return true;
        }
        const elements = checkElements(isRecord(body) ? body['elements'] : undefined);
        if (!elements.ok) {
          reply(400, validationError(elements.path, elements.message));
          return true;
        }
        const version: Version = {
          version_id: nextId('ver_'),
          created_at: stamp(),
          elements: elements.value,
        };
        route.versions.push(version);
        route.modified_at = version.created_at;
        const shown = view(route);
        reply(200, {
          success: true,
          errors: [],
          messages: [],
          result: {
            ...shown,
            version: {
              version_id: version.version_id,
              active: 'false',
              created_at: version.created_at,
              data: JSON.stringify(version.elements),
            },
          },
        });
        return true;
      }
      if (method === 'GET') {
        list('deployments', route.deployments);
        return true;
      }
      const versionId = isRecord(body) ? body['version_id'] : undefined;
      if (!route.versions.some((version) => version.version_id === versionId)) {
        reply(400, validationError(['version_id'], 'no such version'));
        return true;
      }
      route.deployments.push({
        deployment_id: nextId('dep_'),
        version_id: versionId as string,
        created_at: stamp(),
      });
      route.modified_at = stamp();
      reply(200, { success: true, errors: [], messages: [], result: view(route) });
      return true;
    },
    deployed({ accountId, gatewayId, name }) {
      const routes = gateways.get(`${accountId}/${gatewayId}`);
      if (routes === undefined) return undefined;
      for (const route of routes.values()) {
        if (route.name !== name) continue;
        const deployment = route.deployments.at(-1);
        const version = route.versions.find((item) => item.version_id === deployment?.version_id);
        if (version === undefined) return undefined;
        return { id: route.id, name, versionId: version.version_id, elements: version.elements };
      }
      return undefined;
    },
  };
}

function validationError(path: (string | number)[], message: string) {
  return { success: false, errors: [{ code: 7001, message, path }], messages: [], result: null };
}

/**
 * The structural checks a deploy needs: a list of elements with ids, known types, outputs that
 * name existing elements, one `start`, and `model` elements with provider, model, retries and
 * timeout.
 */
function checkElements(
  value: unknown,
):
  | { ok: true; value: StoredElement[] }
  | { ok: false; path: (string | number)[]; message: string } {
  if (!Array.isArray(value) || value.length === 0) {
    return { ok: false, path: ['elements'], message: 'Required' };
  }
  const types = new Set(['start', 'conditional', 'percentage', 'rate', 'model', 'end']);
  const ids = new Set<string>();
  for (const [index, element] of value.entries()) {
    if (
      !isRecord(element) ||
      typeof element['id'] !== 'string' ||
      !types.has(String(element['type']))
    )
      return { ok: false, path: ['elements', index], message: 'Invalid element' };
    ids.add(element['id']);
  }
  for (const [index, element] of (value as StoredElement[]).entries()) {
    if (!isRecord(element.outputs))
      return { ok: false, path: ['elements', index, 'outputs'], message: 'Required' };
    for (const [name, output] of Object.entries(element.outputs)) {
      if (
        !isRecord(output) ||
        typeof output['elementId'] !== 'string' ||
        !ids.has(output['elementId'])
      )
        return {
          ok: false,
          path: ['elements', index, 'outputs', name],
          message: 'must name an element of the route',
        };
    }
    if (element.type === 'model') {
      const properties = element.properties ?? {};
      for (const [field, type] of [
        ['provider', 'string'],
        ['model', 'string'],
        ['retries', 'number'],
        ['timeout', 'number'],
      ] as const) {
        if (typeof properties[field] !== type)
          return {
            ok: false,
            path: ['elements', index, 'properties', field],
            message: `Expected ${type}`,
          };
      }
    }
  }
  if (value.filter((element) => (element as StoredElement).type === 'start').length !== 1) {
    return { ok: false, path: ['elements'], message: 'a route has exactly one start element' };
  }
  return { ok: true, value: value as StoredElement[] };
}
