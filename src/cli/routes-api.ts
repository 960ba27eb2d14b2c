/**
 * A small client for Cloudflare's dynamic routes API
 * (`/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/routes`, `/versions`,
 * `/deployments`; https://developers.cloudflare.com/api/resources/ai_gateway/subresources/dynamic_routing/).
 * Writes need a token with AI Gateway Edit. Single results come as `{success, result}`; lists as
 * `{success, data: {...}}` in the API reference (some clients see them under `result`), so both
 * are read.
 *
 * Reads (GET) are retried with p-retry on a network failure or a 5xx: they change nothing, so a
 * second try is safe. Writes are sent once: a POST that failed with a 5xx or a cut connection may
 * have been applied, so the error says to look (`routes diff`) before pushing again. A 429 is not
 * retried either: Cloudflare blocks every API call for five minutes once its rate limit is
 * exceeded (https://developers.cloudflare.com/fundamentals/api/reference/limits/), longer than
 * any retry worth making.
 */
import pRetry, { AbortError } from 'p-retry';
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
  /** How reads are retried. */
  readonly retry?: RoutesApiRetry;
};

/** How reads (GET) are retried after a network failure or a 5xx. */
export type RoutesApiRetry = {
  /** Retries after the first try. @default 2 */
  readonly retries?: number;
  /** Wait before the first retry, in ms; doubled for each next one, randomised up to 2×. @default 500 */
  readonly minDelayMs?: number;
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
  /** The HTTP status, or 0 when no answer came. */
  readonly status: number;
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

async function call(
  target: RoutesApiTarget,
  options: { method: string; path: string; body?: unknown },
): Promise<Record<string, unknown>> {
  if (options.method !== 'GET') return callOnce(target, options);
  const retries = target.retry?.retries ?? 2;
  try {
    return await pRetry(
      async () => {
        try {
          return await callOnce(target, options);
        } catch (error) {
          // Only a server-side failure is worth another read; a 4xx says the same again.
          if (error instanceof RoutesApiError && error.status < 500) throw new AbortError(error);
          throw error;
        }
      },
      {
        retries,
        minTimeout: target.retry?.minDelayMs ?? 500,
        factor: 2,
        randomize: true,
      },
    );
  } catch (error) {
    if (error instanceof RoutesApiError && error.status < 500) throw error;
    const what = error instanceof Error ? error.message : String(error);
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new RoutesApiError(
      `GET .../routes${options.path} failed ${retries + 1} times (${what}${typeof code === 'string' ? `, ${code}` : ''}); is ${new URL(target.apiUrl).host} reachable?`,
      error instanceof RoutesApiError ? error.status : 0,
      { cause: error },
    );
  }
}

async function callOnce(
  target: RoutesApiTarget,
  options: { method: string; path: string; body?: unknown },
): Promise<Record<string, unknown>> {
  const base = `${target.apiUrl.replace(/\/+$/, '')}/client/v4/accounts/${encodeURIComponent(target.accountId)}/ai-gateway/gateways/${encodeURIComponent(target.gatewayId)}/routes`;
  let response: Response;
  try {
    response = await (target.fetch ?? globalThis.fetch)(`${base}${options.path}`, {
      method: options.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      redirect: 'manual',
    });
  } catch (error) {
    if (options.method === 'GET') throw error; // a network TypeError: p-retry tries again
    throw new RoutesApiError(
      `${options.method} .../routes${options.path} failed before an answer (${error instanceof Error ? error.message : String(error)}); it may or may not have been applied: run \`switchyard routes diff\` before pushing again`,
      0,
      { cause: error },
    );
  }
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
      `${options.method} .../routes${options.path} → ${response.status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}${adviceFor(options.method, response.status)}`,
      response.status,
    );
  }
  return record;
}

/** What to do about a failed call, when there is more to say than the status. */
function adviceFor(method: string, status: number): string {
  if (status === 429) {
    return " (Cloudflare's API rate limit: calls are blocked for five minutes; try again then)";
  }
  if (status >= 500 && method !== 'GET') {
    return '; it may or may not have been applied: run `switchyard routes diff` before pushing again';
  }
  return '';
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
