/**
 * The emulated Cloudflare routes API
 * (`/client/v4/accounts/{accountId}/ai-gateway/gateways/{gatewayId}/routes`, with `/versions`
 * and `/deployments`), answered out of band like any configuration API. Shapes follow
 * Cloudflare's API reference
 * (https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/):
 * create, get, version and deploy answer `{success, result}`; the lists answer
 * `{success, data: {routes | versions | deployments, page, per_page, ...}}`. The store and the
 * views live in dynamic-routes.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  checkRouteElements,
  createValidationErrorBody,
  type ElementPath,
} from './check-route-elements.ts';
import { checkApiToken, createCloudflareApiErrorBody } from './cloudflare-rest.ts';
import {
  type DynamicRouteStore,
  listRoute,
  nextId,
  routesOf,
  type StoredRoute,
  type StoredVersion,
  stamp,
  summarizeRoute,
  viewRoute,
  viewVersion,
} from './dynamic-routes.ts';
import { isRecord } from './is-record.ts';
import { readBody } from './read-body.ts';

/** Options for {@link handleRoutesApiRequest}. */
export type HandleRoutesApiRequestOptions = {
  /** The emulator's routes. */
  store: DynamicRouteStore;
  /** The incoming request. */
  request: IncomingMessage;
  /** Its response. */
  response: ServerResponse;
  /** URL path. */
  pathname: string;
  /** The query (`page`, `per_page` for the lists). */
  searchParams: URLSearchParams;
  /** Lower-cased request headers. */
  headers: Readonly<Record<string, string>>;
  /** Cloudflare API tokens accepted (any non-empty token when undefined). */
  apiTokens: readonly string[] | undefined;
  /** Body size limit in bytes. */
  maxBodyBytes: number;
};

const routesPattern =
  /^\/client\/v4\/accounts\/([^/]+)\/ai-gateway\/gateways\/([^/]+)\/routes(?:\/([^/]+)(?:\/(versions|deployments))?)?$/;

/** One routes API request, once authenticated and its body read. */
type RoutesApiCall = {
  store: DynamicRouteStore;
  /** The page a list asks for. */
  page: ListPage;
  method: string;
  /** The parsed JSON body of a POST or PATCH; `undefined` otherwise. */
  body: unknown;
  /** The gateway's routes. */
  routes: Map<string, StoredRoute>;
  /** The account id, decoded. */
  accountId: string;
  /** The gateway id, decoded. */
  gatewayId: string;
};

/** A call on one route (or its versions or deployments). */
type RouteCall = RoutesApiCall & { route: StoredRoute };

/** What to answer: a status and a JSON body. */
type ApiAnswer = { status: number; body: unknown };

/**
 * Answers a routes API request. Returns false, having done nothing, when the path is not a
 * routes API path.
 */
export async function handleRoutesApiRequest(
  options: HandleRoutesApiRequestOptions,
): Promise<boolean> {
  const match = routesPattern.exec(options.pathname);
  if (match === null) return false;
  const answer = await answerRoutesApi({ ...options, match });
  const text = JSON.stringify(answer.body);
  options.response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  options.response.end(text);
  return true;
}

async function answerRoutesApi(
  options: HandleRoutesApiRequestOptions & { match: RegExpExecArray },
): Promise<ApiAnswer> {
  const { request, store } = options;
  const auth = checkApiToken({ apiTokens: options.apiTokens, headers: options.headers });
  if (!auth.ok) return { status: auth.status, body: auth.body };
  const [, account = '', gateway = '', routeId, sub] = options.match;
  const method = request.method ?? 'GET';
  const body = await readJsonBody({ request, method, limit: options.maxBodyBytes });
  if (body === invalidJson)
    return refused({ status: 400, code: 7001, message: 'the body must be JSON' });
  const gatewayId = decodeURIComponent(gateway);
  const accountId = decodeURIComponent(account);
  const routes = routesOf({ store, accountId, gatewayId });
  const page = listPage(options.searchParams);
  if (page === undefined) {
    return refused({
      status: 400,
      code: 7001,
      message: 'page and per_page must be positive integers',
    });
  }
  const call: RoutesApiCall = { store, method, body, routes, accountId, gatewayId, page };
  if (routeId === undefined) return answerCollection(call);
  const route = routes.get(decodeURIComponent(routeId));
  if (route === undefined) {
    return refused({ status: 404, code: 7003, message: `no route ${routeId} on this gateway` });
  }
  if (sub === 'versions') return answerVersions({ ...call, route });
  if (sub === 'deployments') return answerDeployments({ ...call, route });
  return answerRoute({ ...call, route });
}

const invalidJson = Symbol('invalid JSON');

/** The JSON body of a POST or PATCH (other methods have none). */
async function readJsonBody(options: {
  request: IncomingMessage;
  method: string;
  limit: number;
}): Promise<unknown> {
  if (options.method !== 'POST' && options.method !== 'PATCH') return undefined;
  try {
    return JSON.parse(await readBody({ request: options.request, limit: options.limit }));
  } catch {
    return invalidJson;
  }
}

function refused(options: { status: number; code: number; message: string }): ApiAnswer {
  const { status, code, message } = options;
  return { status, body: createCloudflareApiErrorBody({ code, message }) };
}

function invalid(options: { path: ElementPath; message: string }): ApiAnswer {
  return { status: 400, body: createValidationErrorBody(options) };
}

function succeeded(result: unknown): ApiAnswer {
  return { status: 200, body: { success: true, errors: [], messages: [], result } };
}

/** A page of a list: 1-based `page`, `per_page` items. */
type ListPage = { page: number; perPage: number };

/**
 * Items per page when the request names none. The published schema lists `per_page` with no
 * default; 20 is this emulator's choice, small enough that tests see more than one page.
 */
const defaultPerPage = 20;

function listPage(searchParams: URLSearchParams): ListPage | undefined {
  const read = (name: string, fallback: number) => {
    const text = searchParams.get(name);
    if (text === null) return fallback;
    return /^[1-9]\d{0,5}$/.test(text) ? Number(text) : undefined;
  };
  const page = read('page', 1);
  const perPage = read('per_page', defaultPerPage);
  return page === undefined || perPage === undefined ? undefined : { page, perPage };
}

function listed(options: { name: string; items: unknown[]; page: ListPage }): ApiAnswer {
  const { page, perPage } = options.page;
  const items = options.items.slice((page - 1) * perPage, page * perPage);
  const data = {
    [options.name]: items,
    page,
    per_page: perPage,
    order_by: 'created_at',
    order_by_direction: 'asc',
  };
  return { status: 200, body: { success: true, data } };
}

function notAllowed(call: RoutesApiCall): ApiAnswer {
  return refused({ status: 405, code: 7000, message: `method ${call.method} not allowed` });
}

/** `GET /routes` lists the gateway's routes; `POST /routes` creates one, deployed at once. */
function answerCollection(call: RoutesApiCall): ApiAnswer {
  const { routes, body } = call;
  if (call.method === 'GET')
    return listed({
      name: 'routes',
      items: [...routes.values()].map(listRoute),
      page: call.page,
    });
  if (call.method !== 'POST') return notAllowed(call);
  const name = isRecord(body) ? body['name'] : undefined;
  const elements = checkRouteElements(isRecord(body) ? body['elements'] : undefined);
  if (typeof name !== 'string' || name === '')
    return invalid({ path: ['name'], message: 'Required' });
  if (!elements.ok) return invalid(elements);
  if ([...routes.values()].some((route) => route.name === name)) {
    const message = `a route named "${name}" already exists on this gateway`;
    return refused({ status: 409, code: 7002, message });
  }
  const version = createVersion({ call, elements: elements.value });
  const route: StoredRoute = {
    id: nextId({ store: call.store, prefix: 'route_' }),
    name,
    accountId: call.accountId,
    gatewayId: call.gatewayId,
    created_at: version.created_at,
    modified_at: version.created_at,
    versions: [version],
    deployments: [
      {
        deployment_id: nextId({ store: call.store, prefix: 'dep_' }),
        version_id: version.version_id,
        created_at: version.created_at,
      },
    ],
  };
  routes.set(route.id, route);
  return succeeded(viewRoute(route));
}

/** `GET /routes/{id}` shows a route; `DELETE` removes it. */
function answerRoute(call: RouteCall): ApiAnswer {
  const { route } = call;
  if (call.method === 'GET') return succeeded(viewRoute(route));
  if (call.method !== 'DELETE') return notAllowed(call);
  call.routes.delete(route.id);
  return succeeded(summarizeRoute(route));
}

/** `GET .../versions` lists the versions; any other method adds one, not yet deployed. */
function answerVersions(call: RouteCall): ApiAnswer {
  const { route, body } = call;
  if (call.method === 'GET') {
    const live = route.deployments.at(-1)?.version_id;
    const items = route.versions.map((version) =>
      viewVersion({ version, active: version.version_id === live }),
    );
    return listed({ name: 'versions', items, page: call.page });
  }
  const elements = checkRouteElements(isRecord(body) ? body['elements'] : undefined);
  if (!elements.ok) return invalid(elements);
  const version = createVersion({ call, elements: elements.value });
  route.versions.push(version);
  route.modified_at = version.created_at;
  // The published answer is the route with the new elements, and no version id.
  return succeeded({ ...summarizeRoute(route), elements: version.elements });
}

/** `GET .../deployments` lists the deployments; any other method deploys a version. */
function answerDeployments(call: RouteCall): ApiAnswer {
  const { route, body } = call;
  if (call.method === 'GET') {
    return listed({ name: 'deployments', items: route.deployments, page: call.page });
  }
  const versionId = isRecord(body) ? body['version_id'] : undefined;
  const known = route.versions.some((version) => version.version_id === versionId);
  if (typeof versionId !== 'string' || !known) {
    return invalid({ path: ['version_id'], message: 'no such version' });
  }
  route.deployments.push({
    deployment_id: nextId({ store: call.store, prefix: 'dep_' }),
    version_id: versionId,
    created_at: stamp(call.store),
  });
  route.modified_at = stamp(call.store);
  return succeeded(summarizeRoute(route));
}

function createVersion(options: {
  call: RoutesApiCall;
  elements: StoredVersion['elements'];
}): StoredVersion {
  return {
    version_id: nextId({ store: options.call.store, prefix: 'ver_' }),
    created_at: stamp(options.call.store),
    elements: options.elements,
  };
}
