/**
 * The retry decision and the health memory as pure functions, with an injected clock: no timer,
 * no network, no wall-clock bound. Each case pins one behaviour a change could silently break.
 */
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, defaultRetryPolicy } from '../../src/config/builtin-defaults.ts';
import { createHealthMemory } from '../../src/router/health-memory.ts';
import { backoffMs as backoff, decide } from '../../src/router/retry-policy.ts';

const plan = {
  policy: defaultPolicy,
  retry: { attempts: 3, initialDelayMs: 250, maxDelayMs: 8000, factor: 2, jitter: false },
};

function rateLimited(retryAfter?: string): APIError {
  return APIError.generate(
    429,
    { error: { message: 'slow down', type: 'rate_limit_error' } },
    undefined,
    new Headers(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
  );
}

const decideAt = (options: { error: APIError; remainingMs: number; attemptNumber?: number }) =>
  decide({
    error: options.error,
    errorClass: 'rate_limit',
    policy: plan.policy,
    retry: plan.retry,
    attemptNumber: options.attemptNumber ?? 1,
    isLast: false,
    remainingMs: options.remainingMs,
    now: 1_000_000,
    random: () => 0.5,
  });

describe('decide', () => {
  it('waits the Retry-After when the deadline leaves room for it', () => {
    expect(decideAt({ error: rateLimited('3'), remainingMs: 10_000 })).toMatchObject({
      action: 'retry',
      waitMs: 3000,
    });
  });

  it('moves on at once when the Retry-After is longer than what is left of the deadline', () => {
    // 3 s is within maxDelay (8 s): only the deadline (2 s left) rules the wait out.
    expect(decideAt({ error: rateLimited('3'), remainingMs: 2000 })).toMatchObject({
      action: 'fallback',
      waitMs: 0,
    });
  });

  it('moves on when the backoff itself would outlast the deadline', () => {
    expect(decideAt({ error: rateLimited(), remainingMs: 100 })).toMatchObject({
      action: 'fallback',
    });
    expect(decideAt({ error: rateLimited(), remainingMs: 1000 })).toMatchObject({
      action: 'retry',
      waitMs: 250,
    });
  });

  it('stops retrying after the last attempt', () => {
    expect(decideAt({ error: rateLimited(), remainingMs: 60_000, attemptNumber: 3 })).toMatchObject(
      { action: 'fallback' },
    );
  });
});

describe('backoff', () => {
  const retry = { ...defaultRetryPolicy, jitter: true };
  it('doubles from initialDelay, with equal jitter (half fixed, half random)', () => {
    expect(backoff({ retry, attemptNumber: 1, random: () => 0 })).toBe(125);
    expect(backoff({ retry, attemptNumber: 1, random: () => 0.999_999 })).toBe(250);
    expect(backoff({ retry, attemptNumber: 3, random: () => 0 })).toBe(500);
  });

  it('is capped by maxDelay', () => {
    expect(
      backoff({ retry: { ...retry, jitter: false }, attemptNumber: 20, random: () => 0 }),
    ).toBe(8000);
  });
});

describe('the documented defaults', () => {
  // Compared with the numbers the docs state (docs/retries-and-fallbacks.md, docs/configuration.md),
  // not with the exported constants: changing a constant must fail here.
  it('are 2 attempts, 250 ms first delay, 8 s longest, factor 2, jitter on', () => {
    expect({ ...defaultRetryPolicy }).toEqual({
      attempts: 2,
      initialDelayMs: 250,
      maxDelayMs: 8000,
      factor: 2,
      jitter: true,
    });
  });
});

describe('health memory (injected clock)', () => {
  const memory = () => createHealthMemory({ failureThreshold: 1, cooldownMs: 1000 });

  it('lets one probe through after the cool-down, and no second one while it runs', () => {
    const health = memory();
    health.recordFailure('u', { now: 0 });
    expect(health.acquire('u', 999)).toMatchObject({ available: false });
    expect(health.acquire('u', 1000)).toEqual({ available: true, probe: true });
    expect(health.acquire('u', 1000)).toMatchObject({ available: false });
    expect(health.acquire('u', 5000)).toMatchObject({ available: false });
  });

  it('doubles the cool-down after a failed probe', () => {
    const health = memory();
    health.recordFailure('u', { now: 0 });
    expect(health.acquire('u', 1000)).toMatchObject({ probe: true });
    health.recordFailure('u', { now: 1000 });
    expect(health.acquire('u', 2999)).toMatchObject({ available: false, retryInMs: 1 });
    expect(health.acquire('u', 3000)).toMatchObject({ probe: true });
    health.recordFailure('u', { now: 3000 });
    expect(health.acquire('u', 6999)).toMatchObject({ available: false });
    expect(health.acquire('u', 7000)).toMatchObject({ probe: true });
  });

  it('restores an upstream whose probe succeeds', () => {
    const health = memory();
    health.recordFailure('u', { now: 0 });
    health.acquire('u', 1000);
    health.recordSuccess('u', 1000);
    expect(health.acquire('u', 1001)).toEqual({ available: true, probe: false });
  });
});
