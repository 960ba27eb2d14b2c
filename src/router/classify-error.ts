/**
 * Error classification from what gateways really send. The evidence, in order: a gateway's own
 * numeric code (Cloudflare's `error[0].code`, `internalCode`), OpenRouter's `metadata`
 * (`error_type`, `limit_source`, moderation fields, the provider's `raw` body), an error `code`
 * or `type` string (OpenAI, Vercel), then the HTTP status (or, for an error inside a 200, the
 * envelope's numeric `code`). Message text decides one case only: a 400/413/422 that says the
 * context is too long, because OpenRouter sends nothing else for it. The policy then maps each
 * class to an action. Only failures are classified; the success path never comes here.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAIError } from 'openai';
import type { ErrorClass } from '../config/route-table.ts';
import {
  AttemptTimeoutError,
  PreCommitStreamError,
  UnusableResponseError,
} from './attempt-errors.ts';

type Body = Record<string, unknown>;

const contextLengthCodes = new Set([
  'context_length_exceeded',
  'string_above_max_length',
  'context_window_exceeded',
  'max_tokens_exceeded',
  'token_limit_exceeded',
  'string_too_long',
]);
const contentFilterCodes = new Set([
  'content_filter',
  'content_policy_violation',
  'moderation_blocked',
  'content_filtered',
  'refusal',
]);
/** Out of money or budget: OpenAI, Vercel and OpenRouter wording. */
const paymentCodes = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'organization_usage_limit_exceeded',
  'quota_for_entity_exceeded',
  'insufficient_funds',
  'payment_required',
]);
/** The gateway's own refusal: this gateway cannot serve this request, another one may. */
const gatewayCodes = new Set(['customer_verification_required', 'no_providers_available']);
const authCodes = new Set([
  'authentication_error',
  'authentication',
  'invalid_api_key',
  'permission_denied',
]);
const notFoundCodes = new Set(['model_not_found', 'not_found']);
const serverCodes = new Set([
  'server_error',
  'server',
  'unmapped',
  'provider_unavailable',
  'provider_overloaded',
  'internal_server_error',
]);

/** OpenRouter `metadata.limit_source` values that mean money or budget. */
const paymentLimits = new Set([
  'openrouter_credits',
  'openrouter_key_limit',
  'openrouter_guardrail_budget',
  'openrouter_workspace_budget',
]);

/**
 * Cloudflare's codes (AI Gateway 2xxx, Workers AI 3xxx-5xxx, REST 7xxx, API 10000) that decide
 * the class whatever the status.
 */
const cloudflareCodes: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [2003, 'rate_limit'],
  [3040, 'rate_limit'],
  [2009, 'auth'],
  [10000, 'auth'],
  [2016, 'content_filter'],
  [2017, 'content_filter'],
  // DLP: 2029 blocked the request, 2030 the response (AI Gateway docs, "Set up DLP", error codes).
  [2029, 'content_filter'],
  [2030, 'content_filter'],
  [2021, 'payment'],
  [2041, 'payment'],
  [3036, 'payment'],
  [4006, 'payment'],
  [5021, 'context_length'],
  [3007, 'timeout'],
  [7009, 'server'],
]);

/** The text of a context-length refusal (OpenAI, OpenRouter, Workers AI wording). */
const contextLengthText = /maximum context length|context window|context_length_exceeded/i;

/** The class of an error from an attempt. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof PreCommitStreamError || error instanceof UnusableResponseError)
    return error.errorClass;
  if (error instanceof AttemptTimeoutError || error instanceof APIConnectionTimeoutError)
    return 'timeout';
  if (error instanceof APIConnectionError) return 'network';
  if (error instanceof APIError) {
    return classifyBody({ status: error.status, body: error.error, message: error.message });
  }
  if (isTransportFailure(error)) return 'network';
  // A 200 body cut into invalid JSON, or a malformed stream event.
  if (error instanceof SyntaxError) return 'invalid_response';
  // Anything else (the SDK refusing a request, a bug) would fail the same way on every target.
  if (error instanceof OpenAIError || error instanceof TypeError) return 'bad_request';
  return 'network';
}

/** undici's errors for a connection lost after the headers, and zlib's for a corrupt body. */
const transportCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'Z_DATA_ERROR',
  'Z_BUF_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** A failure of the connection or the body's encoding, after the headers arrived. */
function isTransportFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && transportCodes.has(code)) return true;
    // undici: `TypeError: terminated` for a body cut short.
    if (current instanceof TypeError && current.message === 'terminated') return true;
    current = current.cause;
  }
  return false;
}

/**
 * Classifies an error response from its status and body. `status` is undefined (an error event
 * inside a stream) or 2xx (an error envelope in a 200) for errors sent in-band.
 */
export function classifyBody(options: {
  status: number | undefined;
  body: unknown;
  message: string;
}): ErrorClass {
  const { body } = options;
  const inBand = options.status === undefined || options.status < 300;
  // Cloudflare's gateway envelope: the SDK keeps its `error` array.
  if (Array.isArray(body)) {
    const first = body[0] as Body | undefined;
    const known = numeric(first?.['code']);
    const byCode = known === undefined ? undefined : cloudflareCodes.get(known);
    if (byCode !== undefined) return byCode;
    if (options.status !== undefined && options.status >= 500) return 'server';
    if (options.status === 429) return 'rate_limit';
    // Any other gateway-level refusal (2001 no such gateway, 2005, 2008 invalid provider, 2040
    // unknown BYOK alias, the no-wholesale refusal) says nothing about the request.
    return 'gateway';
  }
  const record = typeof body === 'object' && body !== null ? (body as Body) : undefined;
  if (record !== undefined) {
    const fromBody = classifyRecord(record, options.status);
    if (fromBody !== undefined) return fromBody;
  }
  const code = numeric(record?.['code']);
  const status = inBand
    ? code !== undefined && code >= 400 && code < 600
      ? code
      : numeric(record?.['httpCode'])
    : options.status;
  if (status === undefined) return 'server';
  if (status === 402) return 'payment';
  // 499: the gateway says the connection closed before the answer (Vercel, nginx).
  if (status === 499) return 'network';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || (status >= 300 && status < 400)) return 'not_found';
  if (status === 409 || status >= 500) return 'server';
  if (
    (status === 400 || status === 413 || status === 422) &&
    contextLengthText.test(
      typeof record?.['message'] === 'string' ? record['message'] : options.message,
    )
  )
    return 'context_length';
  if (status < 400) return 'server';
  return 'bad_request';
}

/** The class a body's own fields give, before the status is looked at. */
function classifyRecord(record: Body, status: number | undefined): ErrorClass | undefined {
  // Cloudflare shapes the SDK keeps whole: the v4 API's `errors` array, Workers AI's
  // `{name: "AiError", internalCode}`.
  const errors = record['errors'];
  const cloudflareCode =
    numeric(record['internalCode']) ??
    (Array.isArray(errors) ? numeric((errors[0] as Body | undefined)?.['code']) : undefined);
  if (cloudflareCode !== undefined) {
    const byCode = cloudflareCodes.get(cloudflareCode);
    if (byCode !== undefined) return byCode;
    if (cloudflareCode === 7003) return status === 404 ? 'not_found' : 'bad_request';
    if (cloudflareCode >= 2000 && cloudflareCode < 3000) return 'gateway';
  }
  const metadata = record['metadata'];
  if (typeof metadata === 'object' && metadata !== null) {
    const fromMetadata = classifyMetadata(metadata as Body);
    if (fromMetadata !== undefined) return fromMetadata;
  }
  // Vercel's stream errors carry the provider's error as a JSON string in value.error_message.
  const value = record['value'];
  if (typeof value === 'object' && value !== null) {
    const fromValue = classifyRaw((value as Body)['error_message']);
    if (fromValue !== undefined) return fromValue;
  }
  for (const key of ['code', 'type'] as const) {
    const value = record[key];
    if (typeof value !== 'string') continue;
    const fromString = classifyString(value);
    if (fromString !== undefined) return fromString;
  }
  return undefined;
}

/** OpenRouter's metadata: `error_type`, `limit_source`, moderation and guardrail fields, `raw`. */
function classifyMetadata(metadata: Body): ErrorClass | undefined {
  const limit = metadata['limit_source'];
  if (limit === 'openrouter_in_flight_budget') return 'rate_limit';
  if (typeof limit === 'string' && paymentLimits.has(limit)) return 'payment';
  const errorType = metadata['error_type'];
  if (typeof errorType === 'string') {
    if (errorType === 'timeout') return 'timeout';
    const fromType = classifyString(errorType);
    if (fromType !== undefined) return fromType;
  }
  // Moderation (`reasons`, `flagged_input`) and guardrail (`patterns`) blocks.
  if ('reasons' in metadata || 'flagged_input' in metadata || 'patterns' in metadata)
    return 'content_filter';
  // The provider's own error, relayed as a JSON string.
  return classifyRaw(metadata['raw']);
}

/** A provider's error relayed as a JSON string (OpenRouter `metadata.raw`, Vercel `error_message`). */
function classifyRaw(raw: unknown): ErrorClass | undefined {
  if (typeof raw !== 'string' || raw.length > 16_384 || !raw.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    const inner =
      typeof parsed === 'object' && parsed !== null
        ? ((parsed as Body)['error'] ?? parsed)
        : undefined;
    if (typeof inner !== 'object' || inner === null) return undefined;
    const fromRaw = classifyRecord(inner as Body, undefined);
    if (fromRaw !== undefined) return fromRaw;
    const message = (inner as Body)['message'];
    return typeof message === 'string' && contextLengthText.test(message)
      ? 'context_length'
      : undefined;
  } catch {
    // Not JSON after all: the status decides.
    return undefined;
  }
}

function classifyString(value: string): ErrorClass | undefined {
  if (contextLengthCodes.has(value) || value.includes('context_length')) return 'context_length';
  if (contentFilterCodes.has(value) || value.includes('content_filter')) return 'content_filter';
  if (paymentCodes.has(value)) return 'payment';
  if (gatewayCodes.has(value)) return 'gateway';
  if (value.includes('rate_limit')) return 'rate_limit';
  if (authCodes.has(value)) return 'auth';
  if (notFoundCodes.has(value)) return 'not_found';
  if (serverCodes.has(value)) return 'server';
  return undefined;
}

function numeric(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** System error codes of a connection that could not be made: refused, no route, DNS. */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when the request never got a connection to answer it: refused, DNS, no route, the
 * connect timeout, or a TLS handshake that failed (certificate or protocol). Nothing can answer
 * on such a target now, so the router moves to the next one at once rather than wait to retry.
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof APIConnectionError) || error instanceof APIConnectionTimeoutError)
    return false;
  let current: unknown = error.cause;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (unreachableCodes.has(code) || isTlsFailure(code))) return true;
    current = current.cause;
  }
  return false;
}

/** Node's codes of a failed TLS handshake: certificate checks, and OpenSSL's `ERR_SSL_*`. */
function isTlsFailure(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.includes('CERT') ||
    code === 'EPROTO'
  );
}

/** Status codes that are never retried on the same target, whatever the policy says. */
const neverRetried = new Set([400, 401, 403, 404, 422]);

/** True when an error's status forbids a retry on the same target. */
export function isRetryForbidden(error: unknown): boolean {
  return error instanceof APIError && error.status !== undefined && neverRetried.has(error.status);
}

/** The server's own word on retrying (`x-should-retry`), if it gave one. */
export function serverRetryAdvice(error: unknown): boolean | undefined {
  if (!(error instanceof APIError)) return undefined;
  const value = error.headers?.get('x-should-retry');
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** A short, secret-free description of a failure for the attempt log. */
export function describeFailure(error: unknown): string {
  if (error instanceof APIConnectionError) {
    // No response at all: say so, with the transport's reason (refused, reset, DNS, TLS).
    const cause = error.cause instanceof Error ? causeText(error.cause) : '';
    return truncate(cause === '' ? error.message : `${error.message} (${cause})`);
  }
  if (error instanceof APIError) {
    const body = error.error as { message?: unknown } | unknown[] | undefined;
    const first = Array.isArray(body) ? (body[0] as { message?: unknown } | undefined) : body;
    const detail =
      typeof first?.message === 'string' ? first.message : error.message.replace(/^\d{3}\s*/, '');
    return `${error.status ?? 'stream error'} ${truncate(detail)}`.trim();
  }
  if (isTransportFailure(error)) {
    return truncate(`the connection failed after the headers (${causeText(error as Error)})`);
  }
  if (error instanceof Error) return truncate(error.message);
  return 'unknown error';
}

/** The innermost useful message of an error's cause chain. */
function causeText(error: Error): string {
  let current: Error = error;
  for (let depth = 0; depth < 3 && current.cause instanceof Error; depth++) current = current.cause;
  const code = (current as { code?: unknown }).code;
  return typeof code === 'string' && !current.message.includes(code)
    ? `${code}: ${current.message}`
    : current.message;
}

function truncate(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
