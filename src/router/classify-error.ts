/**
 * Error classification as data: status, error code and type decide the class, never the
 * message text alone. The policy then maps each class to an action.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAIError } from 'openai';
import type { ErrorClass } from '../config/route-table.ts';

/** Raised inside the router for stream failures before the commit point. */
export class PreCommitStreamError extends Error {
  override readonly name = 'PreCommitStreamError';
  /** `timeout` for first-token and idle timeouts, `interrupted_stream` otherwise. */
  readonly errorClass: ErrorClass;
  constructor(message: string, options: { errorClass: ErrorClass; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = options.errorClass;
  }
}

/** Raised when one attempt's own time limit passes. */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
}

const contextLengthCodes = new Set([
  'context_length_exceeded',
  'string_above_max_length',
  'context_window_exceeded',
]);
const contentFilterCodes = new Set([
  'content_filter',
  'content_policy_violation',
  'moderation_blocked',
  'content_filtered',
]);

/** The class of an error from an attempt. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof PreCommitStreamError) return error.errorClass;
  if (error instanceof AttemptTimeoutError || error instanceof APIConnectionTimeoutError)
    return 'timeout';
  if (error instanceof APIConnectionError) return 'network';
  if (error instanceof APIError) return classifyStatus(error);
  // Anything else (the SDK refusing a request, a bug) would fail the same way on every target.
  if (error instanceof OpenAIError || error instanceof TypeError) return 'bad_request';
  return 'network';
}

function classifyStatus(error: APIError): ErrorClass {
  const status = error.status;
  const code = typeof error.code === 'string' ? error.code : '';
  const type = typeof error.type === 'string' ? error.type : '';
  if (status === undefined) {
    // An error event inside a 200 stream: the payload's code or type says what it was.
    if (contextLengthCodes.has(code)) return 'context_length';
    if (contentFilterCodes.has(code)) return 'content_filter';
    if (/rate_limit/.test(code) || /rate_limit/.test(type)) return 'rate_limit';
    return 'server';
  }
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || (status >= 300 && status < 400)) return 'not_found';
  if (status === 409 || status >= 500) return 'server';
  if (contextLengthCodes.has(code) || /context_length/.test(type)) return 'context_length';
  if (contentFilterCodes.has(code) || /content_filter/.test(type)) return 'content_filter';
  return 'bad_request';
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
  if (error instanceof APIError) {
    const body = error.error as { message?: unknown } | undefined;
    const detail =
      typeof body?.message === 'string' ? body.message : error.message.replace(/^\d{3}\s*/, '');
    return `${error.status ?? 'stream error'} ${truncate(detail)}`.trim();
  }
  if (error instanceof Error) return truncate(error.message);
  return 'unknown error';
}

function truncate(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
