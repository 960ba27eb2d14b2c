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
 * Every request has a timeout. Reads (GET) are retried with p-retry after a network failure, a
 * timeout or a 5xx: they change nothing, so a second try is safe. Writes are sent once: a POST
 * that failed with a 5xx, a cut connection or a timeout may have been applied, so the error says
 * to look (`routes diff`) before pushing again. A 429 is not retried either: Cloudflare blocks
 * every API call for five minutes once its rate limit is exceeded
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/). An answer must be JSON
 * (by its `content-type`) with `success: true`; anything else is an error, not an empty result.
 * Every message blanks the token and strips control characters from what the API sent.
 */
import pRetry, { AbortError } from 'p-retry';
import type { DynamicRouteDefinition, RouteElement } from '../config/dynamic-route.ts';
import { printableText, singleLineText } from '../internal/printable-text.ts';
import { redactorFor } from '../internal/redact.ts';

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
  /** How long one request may take, in ms, answer body included. @default 30000 */
  readonly timeoutMs?: number;
  /** Items asked for per page when listing. @default 50 */
  readonly perPage?: number;
};

/** How reads (GET) are retried after a network failure, a timeout or a 5xx. */
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
  /** The route's `elements` (or, when absent, those in its `version.data`). */
  readonly elements: readonly unknown[];
  readonly versionId: string | undefined;
  readonly deploymentVersionId: string | undefined;
};

/** A failed call, with Cloudflare's error messages (never the token, no control characters). */
export class RoutesApiError extends Error {
  override readonly name: string = 'RoutesApiError';
  /** The HTTP status, or 0 when no answer came. */
  readonly status: number;
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** Pages read at most from one list (a server that never ends a list stops here). */
const maxPages = 1000;

type CallOptions = {
  readonly method: 'GET' | 'POST';
  /** After `/routes`, e.g. `/route_1/versions`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
};

/** Outside text made safe to print: the token blanked, control characters gone. */
function safe(target: RoutesApiTarget, text: string): string {
  return printableText(redactorFor([target.token]).text(text));
}

function fail(
  target: RoutesApiTarget,
  message: string,
  status: number,
  cause?: unknown,
): RoutesApiError {
  return new RoutesApiError(
    safe(target, message),
    status,
    cause === undefined ? undefined : { cause },
  );
}

function describe(options: CallOptions): string {
  return `${options.method} .../routes${options.path}`;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const what = error instanceof Error ? error.message : String(error);
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return `${what}${typeof code === 'string' ? `, ${code}` : ''}`;
}

async function call(
  target: RoutesApiTarget,
  options: CallOptions,
): Promise<Record<string, unknown>> {
  if (options.method !== 'GET') return callOnce(target, options);
  const retries = target.retry?.retries ?? 2;
  try {
    return await pRetry(
      async () => {
        try {
          return await callOnce(target, options);
        } catch (error) {
          // Only a server-side failure is worth another read; a 4xx or a bad answer says the same again.
          if (error instanceof RoutesApiError && error.status !== 0 && error.status < 500)
            throw new AbortError(error);
          throw error;
        }
      },
      { retries, minTimeout: target.retry?.minDelayMs ?? 500, factor: 2, randomize: true },
    );
  } catch (error) {
    if (error instanceof RoutesApiError && error.status !== 0 && error.status < 500) throw error;
    throw fail(
      target,
      `${describe(options)} failed ${retries + 1} times (${error instanceof RoutesApiError ? error.message : reasonOf(error)}); is ${new URL(target.apiUrl).host} reachable?`,
      error instanceof RoutesApiError ? error.status : 0,
      error,
    );
  }
}

const unknownOutcome =
  'it may or may not have been applied: run `switchyard routes diff` before pushing again';

async function callOnce(
  target: RoutesApiTarget,
  options: CallOptions,
): Promise<Record<string, unknown>> {
  const base = `${target.apiUrl.replace(/\/+$/, '')}/client/v4/accounts/${encodeURIComponent(target.accountId)}/ai-gateway/gateways/${encodeURIComponent(target.gatewayId)}/routes`;
  const query = options.query === undefined ? '' : `?${new URLSearchParams(options.query)}`;
  const timeoutMs = target.timeoutMs ?? 30_000;
  let response: Response;
  let text: string;
  try {
    // One signal for the headers and the body: an API that answers headers and then stalls times out too.
    const signal = AbortSignal.timeout(timeoutMs);
    response = await (target.fetch ?? globalThis.fetch)(`${base}${options.path}${query}`, {
      method: options.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      redirect: 'manual',
      signal,
    });
    text = await response.text();
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : reasonOf(error);
    if (options.method === 'GET') {
      // p-retry tries again (it retries network TypeErrors and other errors, not AbortError).
      throw fail(target, `${describe(options)}: ${reason}`, 0, error);
    }
    throw fail(
      target,
      `${describe(options)} failed before an answer (${reason}); ${unknownOutcome}`,
      0,
      error,
    );
  }
  const record = parseJsonObject(response, text);
  if (!response.ok || record?.['success'] === false) {
    const errors = [record?.['errors'], record?.['error']]
      .filter(Array.isArray)
      .flat()
      .map((error) => {
        const item = error as { code?: unknown; message?: unknown };
        return `${singleLineText(String(item.message ?? 'error'))}${item.code === undefined ? '' : ` (code ${String(item.code)})`}`;
      });
    throw fail(
      target,
      `${describe(options)} → ${response.status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}${adviceFor(options.method, response.status)}`,
      response.status,
    );
  }
  if (record === undefined || record['success'] !== true) {
    const type = response.headers.get('content-type') ?? 'no content-type';
    const excerpt = singleLineText(text.slice(0, 120)).trim();
    const what =
      record === undefined
        ? `an answer that is not a JSON object (${type}${excerpt === '' ? ', empty' : `: "${excerpt}${text.length > 120 ? '…' : ''}"`})`
        : 'JSON without "success": true';
    throw fail(
      target,
      `${describe(options)} → ${response.status} with ${what}; a proxy or captive portal may stand between you and ${new URL(target.apiUrl).host}${options.method === 'GET' ? '' : `; ${unknownOutcome}`}`,
      response.status,
    );
  }
  return record;
}

/** The body as a JSON object, when the content type says JSON and it parses to an object. */
function parseJsonObject(response: Response, text: string): Record<string, unknown> | undefined {
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What to do about a failed call, when there is more to say than the status. */
function adviceFor(method: string, status: number): string {
  if (status === 429) {
    return " (Cloudflare's API rate limit: calls are blocked for five minutes; try again then)";
  }
  if (status >= 500 && method !== 'GET') return `; ${unknownOutcome}`;
  return '';
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `result` of a single-result answer; an error when it is not an object with an `id`. */
function resultOf(
  target: RoutesApiTarget,
  options: { record: Record<string, unknown>; call: CallOptions },
): Record<string, unknown> {
  const result = asRecord(options.record['result']);
  if (result === undefined || typeof result['id'] !== 'string') {
    throw fail(
      target,
      `${describe(options.call)} answered without a route in "result"${options.call.method === 'GET' ? '' : `; ${unknownOutcome}`}`,
      200,
    );
  }
  return result;
}

/**
 * Every item of a list, page by page (`page`, `per_page`; the answer's `data` holds the items
 * and the page it is, and no total): a page shorter than `per_page` is the last one. Items are
 * told apart by `idKey`; a page that adds none ends the list (a server that ignores `page`).
 */
async function listAll(
  target: RoutesApiTarget,
  options: { path: string; key: string; idKey: string },
): Promise<Record<string, unknown>[]> {
  const perPage = target.perPage ?? 50;
  const items = new Map<string, Record<string, unknown>>();
  for (let page = 1; page <= maxPages; page++) {
    const request: CallOptions = {
      method: 'GET',
      path: options.path,
      query: { page: String(page), per_page: String(perPage) },
    };
    const record = await call(target, request);
    // The schema puts lists under `data`; `result` is the envelope's usual place, read as well.
    const data = asRecord(record['data']) ?? asRecord(record['result']);
    const list = data?.[options.key];
    if (!Array.isArray(list)) {
      throw fail(
        target,
        `${describe(request)} answered without a "${options.key}" list in "data"`,
        200,
      );
    }
    let added = 0;
    for (const item of list) {
      const entry = asRecord(item);
      const id = entry?.[options.idKey];
      if (entry === undefined || typeof id !== 'string') continue;
      if (!items.has(id)) added += 1;
      items.set(id, entry);
    }
    const size = typeof data?.['per_page'] === 'number' ? data['per_page'] : perPage;
    if (list.length < size || list.length === 0 || added === 0) return [...items.values()];
  }
  throw fail(target, `GET .../routes${options.path} did not end after ${maxPages} pages`, 200);
}

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
    elements,
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

function canonical(value: unknown): string {
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
