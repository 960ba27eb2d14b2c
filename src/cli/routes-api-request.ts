/**
 * One request to Cloudflare's dynamic routes API, made the way routes-api.ts relies on: a timeout
 * on every request, reads (GET) retried with p-retry after a network failure, a timeout or a 5xx
 * (writes sent once: a POST that failed with a 5xx, a cut connection or a timeout may have been
 * applied, so the error says to look with `routes diff`), no retry of a 429 (Cloudflare blocks
 * every API call for five minutes once its rate limit is exceeded,
 * https://developers.cloudflare.com/fundamentals/api/reference/limits/), an answer accepted only
 * when it is JSON (by its `content-type`) with `success: true`, and every list read page by page
 * (`page`, `per_page`; the published list answers carry the page and no total). Every message
 * blanks the token and strips control characters from what the API sent.
 */
import pRetry, { AbortError } from 'p-retry';
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

/** One request: method, path after `/routes`, query and JSON body. */
export type CallOptions = {
  readonly method: 'GET' | 'POST';
  /** After `/routes`, e.g. `/route_1/versions`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
};

/** Outside text made safe to print: the token blanked, control characters gone. */
export function safe(target: RoutesApiTarget, text: string): string {
  return printableText(redactorFor([target.token]).text(text));
}

/** A {@link RoutesApiError} whose message is made {@link safe}. */
export function fail(
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

/** `METHOD .../routes<path>`, for messages. */
function describe(options: CallOptions): string {
  return `${options.method} .../routes${options.path}`;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const what = error instanceof Error ? error.message : String(error);
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return `${what}${typeof code === 'string' ? `, ${code}` : ''}`;
}

/** Sends one request (a read is retried); resolves with the answer's JSON object. */
export async function call(
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

/** What a failed write says about its outcome. */
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

/** `value` when it is a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `result` of a single-result answer; an error when it is not an object with an `id`. */
export function resultOf(
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
export async function listAll(
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
