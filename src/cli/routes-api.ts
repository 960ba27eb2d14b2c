/**
 * A small client for Cloudflare's dynamic routes API
 * (`/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/routes`, `/versions`,
 * `/deployments`; https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/).
 * Writes need a token with AI Gateway Edit. Single results come as `{success, result}`; lists as
 * `{success, data: {...}}` in the API reference (some clients see them under `result`), so both
 * are read.
 */
import type { DynamicRouteDefinition, RouteElement } from '../config/dynamic-route.ts';

/** Where the routes of one gateway live, and the token to reach them. */
export type RoutesApiTarget = {
  /** API origin, e.g. `https://api.cloudflare.com`. */
  readonly apiUrl: string;
  readonly accountId: string;
  readonly gatewayId: string;
  readonly token: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
};

/** A route as the API reports it. */
export type RemoteRoute = {
  readonly id: string;
  readonly name: string;
  /** The deployed version's elements (or the latest version's when none is deployed). */
  readonly elements: readonly unknown[];
  readonly versionId: string | undefined;
  readonly deploymentVersionId: string | undefined;
};

/** A failed call, with Cloudflare's error messages (never the token). */
export class RoutesApiError extends Error {
  override readonly name = 'RoutesApiError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

async function call(
  target: RoutesApiTarget,
  options: { method: string; path: string; body?: unknown },
): Promise<Record<string, unknown>> {
  const base = `${target.apiUrl.replace(/\/+$/, '')}/client/v4/accounts/${encodeURIComponent(target.accountId)}/ai-gateway/gateways/${encodeURIComponent(target.gatewayId)}/routes`;
  const response = await (target.fetch ?? globalThis.fetch)(`${base}${options.path}`, {
    method: options.method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    redirect: 'manual',
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!response.ok || record['success'] === false) {
    const errors = [record['errors'], record['error']]
      .filter(Array.isArray)
      .flat()
      .map((error) => {
        const item = error as { code?: unknown; message?: unknown };
        return `${String(item.message ?? 'error')}${item.code === undefined ? '' : ` (code ${String(item.code)})`}`;
      });
    throw new RoutesApiError(
      `${options.method} .../routes${options.path} → ${response.status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`,
      response.status,
    );
  }
  return record;
}

function unwrap(record: Record<string, unknown>): Record<string, unknown> {
  const result = record['result'] ?? record['data'] ?? record;
  return (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
}

function toRemote(value: Record<string, unknown>): RemoteRoute {
  const version = value['version'] as { version_id?: string; data?: unknown } | null | undefined;
  const deployment = value['deployment'] as { version_id?: string } | null | undefined;
  let elements = Array.isArray(value['elements']) ? (value['elements'] as unknown[]) : undefined;
  if (elements === undefined && typeof version?.data === 'string') {
    try {
      const data = JSON.parse(version.data) as unknown;
      elements = Array.isArray(data)
        ? data
        : ((data as { elements?: unknown[] } | null)?.elements ?? []);
    } catch {
      elements = [];
    }
  }
  return {
    id: String(value['id']),
    name: String(value['name']),
    elements: elements ?? [],
    versionId: version?.version_id,
    deploymentVersionId: deployment?.version_id,
  };
}

/** The route named `name` on the gateway, or undefined. */
export async function findRoute(
  target: RoutesApiTarget,
  name: string,
): Promise<RemoteRoute | undefined> {
  const list = unwrap(await call(target, { method: 'GET', path: '?per_page=50' }));
  const routes = (Array.isArray(list['routes']) ? list['routes'] : []) as Record<string, unknown>[];
  const found = routes.find((route) => route['name'] === name);
  if (found === undefined) return undefined;
  const route = unwrap(await call(target, { method: 'GET', path: `/${String(found['id'])}` }));
  return toRemote(route);
}

/** Creates a route (Cloudflare deploys its first version). */
export async function createRoute(
  target: RoutesApiTarget,
  route: DynamicRouteDefinition,
): Promise<RemoteRoute> {
  return toRemote(unwrap(await call(target, { method: 'POST', path: '', body: route })));
}

/** Adds a version with new elements, then deploys it. Returns the deployed version's id. */
export async function versionAndDeploy(
  target: RoutesApiTarget,
  options: { id: string; elements: readonly RouteElement[] },
): Promise<string> {
  const created = unwrap(
    await call(target, {
      method: 'POST',
      path: `/${options.id}/versions`,
      body: { elements: options.elements },
    }),
  );
  const versionId = (created['version'] as { version_id?: string } | undefined)?.version_id;
  if (versionId === undefined) {
    throw new RoutesApiError('the new version has no version_id in the answer', 200);
  }
  await call(target, {
    method: 'POST',
    path: `/${options.id}/deployments`,
    body: { version_id: versionId },
  });
  return versionId;
}
