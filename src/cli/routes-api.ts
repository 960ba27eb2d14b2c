/**
 * A small client for Cloudflare's dynamic routes API
 * (`/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/routes`, `/versions`,
 * `/deployments`), written to the published schema: `src/resources/ai-gateway/dynamic-routing.ts`
 * in https://github.com/cloudflare/cloudflare-typescript (generated from Cloudflare's OpenAPI
 * spec; transcribed in `test/fixtures/published-api/`). What that schema says, and this client
 * relies on:
 *
 * - single results come as `{result: …}` (create, get, create version, create deployment);
 *   lists as `{success, data: {routes | versions | deployments, page, per_page, order_by,
 *   order_by_direction}}`, with `page` and `per_page` query parameters and no total, so every
 *   list is read page by page until a page comes back short;
 * - a created version's answer (`DynamicRoutingCreateVersionResponse`) is the route (`id`,
 *   `name`, `elements`, `gateway_id`, times) and holds no version id: the new version is found
 *   by listing the route's versions before and after, and deployed by `version_id`.
 *
 * How each request is made (timeout, retries of reads only, JSON and `success` checked, the
 * token blanked in messages, lists read page by page) is in routes-api-request.ts.
 */
import type { DynamicRouteDefinition, RouteElement } from '../config/dynamic-route.ts';
import { redactorFor } from '../internal/redact.ts';
import {
  asRecord,
  type CallOptions,
  call,
  fail,
  listAll,
  RoutesApiError,
  type RoutesApiTarget,
  resultOf,
  safe,
} from './routes-api-request.ts';

export {
  RoutesApiError,
  type RoutesApiRetry,
  type RoutesApiTarget,
} from './routes-api-request.ts';

/** A route as the API reports it. */
export type RemoteRoute = {
  readonly id: string;
  readonly name: string;
  /** The route's `elements` (or, when absent, those in its `version.data`). */
  readonly elements: readonly unknown[];
  readonly versionId: string | undefined;
  readonly deploymentVersionId: string | undefined;
};

/** Elements from a version's `data` string (a JSON array, or an object holding `elements`). */
function elementsOfData(data: unknown): unknown[] | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = JSON.parse(data) as unknown;
    if (Array.isArray(parsed)) return parsed;
    const elements = asRecord(parsed)?.['elements'];
    return Array.isArray(elements) ? elements : undefined;
  } catch {
    return undefined;
  }
}

function toRemote(target: RoutesApiTarget, value: Record<string, unknown>): RemoteRoute {
  const version = asRecord(value['version']);
  const deployment = asRecord(value['deployment']);
  const elements = Array.isArray(value['elements'])
    ? (value['elements'] as unknown[])
    : (elementsOfData(version?.['data']) ?? []);
  const text = (item: unknown) => (typeof item === 'string' ? safe(target, item) : undefined);
  return {
    id: text(value['id']) ?? '',
    name: text(value['name']) ?? '',
    // Printed by `routes diff` (as JSON, which escapes control characters): the token blanked.
    elements: redactorFor([target.token]).copy(elements) as unknown[],
    versionId: text(version?.['version_id']),
    deploymentVersionId: text(deployment?.['version_id']),
  };
}

/** The route named `name` on the gateway (every page of the list is read), or undefined. */
export async function findRoute(
  target: RoutesApiTarget,
  name: string,
): Promise<RemoteRoute | undefined> {
  const routes = await listAll(target, { path: '', key: 'routes', idKey: 'id' });
  const found = routes.filter((route) => route['name'] === name);
  if (found.length > 1) {
    throw fail(
      target,
      `the gateway has ${found.length} routes named "${name}" (${found.map((route) => String(route['id'])).join(', ')}); delete all but one in the dashboard, then run this again`,
      409,
    );
  }
  const [route] = found;
  if (route === undefined) return undefined;
  const request: CallOptions = {
    method: 'GET',
    path: `/${encodeURIComponent(String(route['id']))}`,
  };
  return toRemote(target, resultOf(target, { record: await call(target, request), call: request }));
}

/** Creates a route (Cloudflare deploys its first version). */
export async function createRoute(
  target: RoutesApiTarget,
  route: DynamicRouteDefinition,
): Promise<RemoteRoute> {
  const request: CallOptions = { method: 'POST', path: '', body: route };
  return toRemote(target, resultOf(target, { record: await call(target, request), call: request }));
}

/** A push that stopped half way: what exists on the gateway now, and what to run next. */
export class PartialPushError extends RoutesApiError {
  override readonly name = 'PartialPushError';
  /** The version created, when its id is known. */
  readonly createdVersionId: string | undefined;
  constructor(message: string, options: ErrorOptions & { createdVersionId: string | undefined }) {
    super(message, 0, options);
    this.createdVersionId = options.createdVersionId;
  }
}

/** Options of {@link versionAndDeploy}. */
export type VersionAndDeployOptions = {
  /** The route's id. */
  readonly id: string;
  readonly elements: readonly RouteElement[];
  /** The version deployed now (said in a half-done push's message). */
  readonly deployedVersionId: string | undefined;
  /** The command that pushes again, said in a half-done push's message. */
  readonly pushCommand: string;
};

/** JSON with keys sorted, so key order does not count as a difference. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : item,
  );
}

/**
 * Adds a version with new elements, finds it by listing the route's versions (the create answer
 * has no version id), then deploys it. Returns the deployed version's id. A failure after the
 * version was created is a {@link PartialPushError} saying what exists and what to run.
 */
export async function versionAndDeploy(
  target: RoutesApiTarget,
  options: VersionAndDeployOptions,
): Promise<string> {
  const path = `/${encodeURIComponent(options.id)}`;
  const versions = { path: `${path}/versions`, key: 'versions', idKey: 'version_id' };
  const before = new Set(
    (await listAll(target, versions)).map((version) => String(version['version_id'])),
  );
  await call(target, { method: 'POST', path: versions.path, body: { elements: options.elements } });
  const serving = `the gateway still serves ${options.deployedVersionId === undefined ? 'its current version' : `version ${options.deployedVersionId}`}`;
  const partial = (message: string, createdVersionId: string | undefined, cause?: unknown) =>
    new PartialPushError(safe(target, message), {
      createdVersionId,
      ...(cause === undefined ? {} : { cause }),
    });
  let created: Record<string, unknown>[];
  try {
    created = (await listAll(target, versions)).filter(
      (version) => !before.has(String(version['version_id'])),
    );
  } catch (error) {
    throw partial(
      `a new version of route ${options.id} was created, but the route's versions could not be listed to find its id (${error instanceof Error ? error.message : String(error)}); nothing was deployed and ${serving}. Run \`${options.pushCommand}\` again: it adds another version with the same elements and deploys it`,
      undefined,
      error,
    );
  }
  const wanted = canonical(options.elements);
  const matching = created.filter((version) => {
    const elements = elementsOfData(version['data']);
    return elements === undefined ? created.length === 1 : canonical(elements) === wanted;
  });
  const [version] = matching;
  if (version === undefined || matching.length > 1) {
    const ids = created.map((item) => String(item['version_id'])).join(', ') || 'none';
    throw partial(
      `a new version of route ${options.id} was created, but it cannot be told apart from the versions listed (new since the push: ${ids}; someone else may be pushing); nothing was deployed and ${serving}. Check the route in the dashboard, then run \`${options.pushCommand}\` again`,
      undefined,
    );
  }
  const versionId = String(version['version_id']);
  try {
    await call(target, {
      method: 'POST',
      path: `${path}/deployments`,
      body: { version_id: versionId },
    });
  } catch (error) {
    throw partial(
      `version ${versionId} of route ${options.id} was created but deploying it failed (${error instanceof Error ? error.message : String(error)}); ${serving} unless the deployment went through. Run \`switchyard routes diff\` to see which version is live; \`${options.pushCommand}\` deploys a new copy`,
      versionId,
      error,
    );
  }
  return safe(target, versionId);
}
