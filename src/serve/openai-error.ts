/**
 * Errors as `switchyard serve` answers them: OpenAI's error body
 * (`{"error": {"message", "type", "param", "code"}}`) with the status an OpenAI client expects,
 * so every client's own error handling (`openai.APIError`, the AI SDK's `APICallError`, Python's
 * `openai.APIStatusError`) reads them as it reads OpenAI's.
 */
import { isRouterError } from '../errors.ts';

/** One error answer: HTTP status and OpenAI's error object. */
export type ServeError = {
  readonly status: number;
  readonly body: {
    readonly error: {
      readonly message: string;
      readonly type: string;
      readonly param: string | null;
      readonly code: string | null;
    };
  };
};

/** Options of {@link serveError}. */
export type ServeErrorOptions = {
  status: number;
  message: string;
  /** OpenAI's error `type`. @default derived from the status */
  type?: string;
  /** The request field at fault. @default null */
  param?: string | null;
  /** A stable machine-readable code. @default null */
  code?: string | null;
};

/** Builds an error answer. */
export function serveError(options: ServeErrorOptions): ServeError {
  return {
    status: options.status,
    body: {
      error: {
        message: options.message,
        type: options.type ?? typeForStatus(options.status),
        param: options.param ?? null,
        code: options.code ?? null,
      },
    },
  };
}

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

// Upstream statuses that say the request itself is wrong: the client gets them as they are.
// Anything else from an upstream (401/403: the gateway's credentials; 5xx; network) is the
// proxy's problem, a 502, so a client never mistakes a bad gateway key for its own.
const relayedStatuses = new Set([400, 404, 409, 413, 422, 429]);

/**
 * Maps an error thrown by the router to an answer. Router messages carry no secret (the router
 * blanks credentials in everything it relays); anything that is not a router error gets a
 * generic message, since its text is unknown.
 */
export function errorFromRouter(error: unknown): ServeError {
  if (!isRouterError(error)) {
    return serveError({ status: 500, message: 'internal error in switchyard serve' });
  }
  const message = error.message;
  switch (error.code) {
    case 'UNKNOWN_ALIAS':
      return serveError({ status: 404, message, param: 'model', code: 'model_not_found' });
    case 'INVALID_REQUEST':
      return serveError({ status: 400, message, code: 'invalid_request' });
    case 'DEADLINE_EXCEEDED':
      return serveError({ status: 504, message, type: 'timeout', code: 'deadline_exceeded' });
    case 'ABORTED':
      return serveError({ status: 499, message, code: 'aborted' });
    case 'ROUTER_CLOSED':
      return serveError({ status: 503, message, code: 'shutting_down' });
    case 'STREAM_INTERRUPTED':
      return serveError({ status: 502, message, code: 'stream_interrupted' });
    case 'ALL_TARGETS_FAILED': {
      // No target's context window fits the request: the client's to shorten, as OpenAI says it.
      if ((error as { reason?: unknown }).reason === 'context-length')
        return serveError({ status: 400, message, code: 'context_length_exceeded' });
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && relayedStatuses.has(status)) {
        return serveError({ status, message, code: upstreamCode(error) ?? 'upstream_error' });
      }
      return serveError({ status: 502, message, code: 'all_targets_failed' });
    }
    default:
      return serveError({ status: 500, message, code: error.code.toLowerCase() });
  }
}

/** The upstream's own error code (e.g. `context_length_exceeded`), when it sent one. */
function upstreamCode(error: unknown): string | undefined {
  const last = (error as { lastError?: { code?: unknown } }).lastError;
  return typeof last?.code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(last.code)
    ? last.code
    : undefined;
}

/** The answer as a `Response` with a JSON body. */
export function errorResponse(
  error: ServeError,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return Response.json(error.body, { status: error.status, headers });
}
