/**
 * The retry policy is pure: every decision here is made with an injected clock (time left, wall
 * clock) and an injected random source, so no test waits.
 */
import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import type { ErrorAction, ErrorClass, RetryPolicy } from '../../src/config/route-table.ts';
import { AttemptTimeoutError } from '../../src/router/attempt-errors.ts';
import { backoffMs, type DecideOptions, decide } from '../../src/router/retry-policy.ts';

const retry: RetryPolicy = {
  attempts: 3,
  initialDelayMs: 250,
  maxDelayMs: 8000,
  factor: 2,
  jitter: false,
};
const policy = {
  rate_limit: 'retry',
  server: 'retry',
  timeout: 'retry',
  network: 'retry',
  auth: 'fallback',
  bad_request: 'fail',
} as unknown as Readonly<Record<ErrorClass, ErrorAction>>;

const now = Date.UTC(2026, 0, 1, 12, 0, 0);

function apiError(status: number, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { message: 'failed' },
    undefined,
    new Headers(headers),
  ) as APIError;
}

function options(overrides: Partial<DecideOptions>): DecideOptions {
  return {
    error: apiError(503),
    errorClass: 'server',
    policy,
    retry,
    attemptNumber: 1,
    isLast: false,
    remainingMs: 60_000,
    now,
    random: () => 0.5,
    ...overrides,
  };
}

describe('decide', () => {
  it('retries a retryable class after the backoff while tries are left', () => {
    expect(decide(options({}))).toEqual({ action: 'retry', waitMs: 250, stopsCall: false });
    expect(decide(options({ attemptNumber: 2 }))).toEqual({
      action: 'retry',
      waitMs: 500,
      stopsCall: false,
    });
  });

  it('moves on once the target has had its tries: fallback, or fail on the last target', () => {
    expect(decide(options({ attemptNumber: 3 })).action).toBe('fallback');
    expect(decide(options({ attemptNumber: 3, isLast: true }))).toEqual({
      action: 'fail',
      waitMs: 0,
      stopsCall: false,
    });
  });

  it('stops the whole call when the policy says fail for the class', () => {
    expect(decide(options({ error: apiError(400), errorClass: 'bad_request' }))).toEqual({
      action: 'fail',
      waitMs: 0,
      stopsCall: true,
    });
  });

  it('never retries 400/401/403/404/422 on the same target, even when the class would', () => {
    expect(decide(options({ error: apiError(404) })).action).toBe('fallback');
  });

  it('follows x-should-retry: true on a class the policy passes on, and false on one it retries', () => {
    const asked = apiError(401, { 'x-should-retry': 'true' });
    expect(decide(options({ error: apiError(500), errorClass: 'auth' })).action).toBe('fallback');
    expect(
      decide(options({ error: apiError(500, { 'x-should-retry': 'true' }), errorClass: 'auth' }))
        .action,
    ).toBe('retry');
    // A status that is never retried stays so, whatever the header says.
    expect(decide(options({ error: asked, errorClass: 'auth' })).action).toBe('fallback');
    expect(decide(options({ error: apiError(503, { 'x-should-retry': 'false' }) })).action).toBe(
      'fallback',
    );
  });

  it('waits what Retry-After asks (milliseconds, seconds, HTTP date against the injected wall clock)', () => {
    expect(
      decide(
        options({ error: apiError(429, { 'retry-after-ms': '1200' }), errorClass: 'rate_limit' }),
      ).waitMs,
    ).toBe(1200);
    expect(
      decide(options({ error: apiError(429, { 'retry-after': '2' }), errorClass: 'rate_limit' }))
        .waitMs,
    ).toBe(2000);
    const date = new Date(now + 3000).toUTCString();
    expect(
      decide(options({ error: apiError(429, { 'retry-after': date }), errorClass: 'rate_limit' }))
        .waitMs,
    ).toBe(3000);
  });

  it('moves on instead of sleeping when Retry-After exceeds maxDelay, and waits when it equals it', () => {
    const error = apiError(429, { 'retry-after': '9' });
    expect(decide(options({ error, errorClass: 'rate_limit' })).action).toBe('fallback');
    // maxDelay is the longest wait allowed, so a Retry-After of exactly maxDelay is waited.
    const atLimit = apiError(429, { 'retry-after': '8' });
    expect(decide(options({ error: atLimit, errorClass: 'rate_limit' }))).toMatchObject({
      action: 'retry',
      waitMs: 8000,
    });
  });

  it('moves on instead of sleeping past the deadline (time left injected)', () => {
    expect(decide(options({ remainingMs: 250 })).action).toBe('fallback');
    expect(decide(options({ remainingMs: 251 })).action).toBe('retry');
  });

  it('treats a connection failure like any retryable class', () => {
    const error = new APIConnectionError({ message: 'Connection error.' });
    expect(decide(options({ error, errorClass: 'network' })).action).toBe('retry');
  });
});

describe('backoffMs', () => {
  it('grows by the factor and stops at maxDelay', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attemptNumber) =>
      backoffMs({ retry, attemptNumber, random: () => 0 }),
    );
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('with jitter, waits between half and all of the step', () => {
    const jittered = { ...retry, jitter: true };
    expect(backoffMs({ retry: jittered, attemptNumber: 2, random: () => 0 })).toBe(250);
    expect(backoffMs({ retry: jittered, attemptNumber: 2, random: () => 0.999999 })).toBe(500);
  });
});

describe('decide: slow is not dead', () => {
  /** undici's shape of a connection that could not be made, as the SDK wraps it. */
  function unreachable(code: string): APIConnectionError {
    const system = Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
    return new APIConnectionError({ cause: new TypeError('fetch failed', { cause: system }) });
  }

  it('moves to the next target at once after a refused connection, DNS or TLS failure', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'EPROTO'])
      expect(decide(options({ error: unreachable(code), errorClass: 'network' })), code).toEqual({
        action: 'fallback',
        waitMs: 0,
        stopsCall: false,
      });
  });

  it('still retries them on the last target, and retries a reset (a retry can fix it)', () => {
    expect(
      decide(options({ error: unreachable('ECONNREFUSED'), errorClass: 'network', isLast: true }))
        .action,
    ).toBe('retry');
    expect(
      decide(options({ error: unreachable('ECONNRESET'), errorClass: 'network' })).action,
    ).toBe('retry');
  });

  it('hands over, without a retry, when a target used its share of the deadline', () => {
    const handOver = new AttemptTimeoutError('no answer', { handOver: true });
    expect(decide(options({ error: handOver, errorClass: 'timeout' }))).toEqual({
      action: 'fallback',
      waitMs: 0,
      stopsCall: false,
    });
    // A `timeout.attempt` set in the config is the policy's to retry.
    const set = new AttemptTimeoutError('no response', { handOver: false });
    expect(decide(options({ error: set, errorClass: 'timeout' })).action).toBe('retry');
  });
});
