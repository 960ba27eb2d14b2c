/**
 * The built-in defaults every config starts from: the retry policy, the time limits and the
 * action per error class. `defaults:` in a config and each alias override them field by field.
 */
import type { ErrorAction, ErrorClass, RetryPolicy, Timeouts } from './route-table.ts';

/** Built-in retry policy; `defaults.retry` and each alias's `retry` override it field by field. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 2,
  initialDelayMs: 250,
  maxDelayMs: 8000,
  factor: 2,
  jitter: true,
});

/** Built-in time limits. */
export const defaultTimeouts: Timeouts = Object.freeze({
  totalMs: 60_000,
  attemptMs: 60_000,
  idleMs: 30_000,
});

/**
 * Built-in action per error class. 400, 401, 403, 404 and 422 are never retried on the same
 * target. A problem of one gateway or model (auth, not found, the gateway's own refusal, money,
 * a body that is not an answer) moves on; a bad request or a content filter would fail the same
 * way everywhere, so it stops.
 */
export const defaultPolicy: Readonly<Record<ErrorClass, ErrorAction>> = Object.freeze({
  rate_limit: 'retry',
  server: 'retry',
  timeout: 'retry',
  network: 'retry',
  auth: 'fallback',
  not_found: 'fallback',
  bad_request: 'fail',
  context_length: 'fallback',
  content_filter: 'fail',
  interrupted_stream: 'fallback',
  gateway: 'fallback',
  payment: 'fallback',
  invalid_response: 'fallback',
});
