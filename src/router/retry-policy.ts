/**
 * The retry policy, pure: what follows a failed attempt (retry the same target after a wait,
 * move to the next target, or stop the call), the backoff between tries, and the server's
 * Retry-After. No clock and no randomness of its own: the time left, the wall clock and the
 * random source are arguments, so every decision can be tested without waiting.
 */
import type { ErrorAction, ErrorClass, RetryPolicy } from '../config/route-table.ts';
import { AttemptTimeoutError } from './attempt-errors.ts';
import { isRetryForbidden, isUnreachable, serverRetryAdvice } from './classify-error.ts';
import { retryAfterMs } from './retry-after.ts';

/** What follows a failed attempt. */
export type Decision = {
  /** `retry` the same target, pass to the next (`fallback`), or `fail` (no target left, or the policy stops the call). */
  readonly action: ErrorAction;
  /** Wait before the retry, in ms; 0 unless `action` is `retry`. */
  readonly waitMs: number;
  /** True when the policy itself ends the call (`fail` for this error class), whatever targets are left. */
  readonly stopsCall: boolean;
};

/** Options of {@link decide}. */
export type DecideOptions = {
  /** The attempt's error (after redaction). */
  error: unknown;
  /** Its class (see `classifyError`). */
  errorClass: ErrorClass;
  /** Action per error class (the alias's policy). */
  policy: Readonly<Record<ErrorClass, ErrorAction>>;
  /** The alias's retry settings. */
  retry: RetryPolicy;
  /** 1-based try on this target that just failed. */
  attemptNumber: number;
  /** Whether no later target could be tried (so moving on means failing). */
  isLast: boolean;
  /** Time left before the call's deadline, in ms. */
  remainingMs: number;
  /** Wall clock, ms since the epoch (Retry-After as an HTTP date). */
  now: number;
  /** Random source in [0, 1), for jitter. */
  random: () => number;
};

const stop: Decision = Object.freeze({ action: 'fail', waitMs: 0, stopsCall: true });
const fallback: Decision = Object.freeze({ action: 'fallback', waitMs: 0, stopsCall: false });
const fail: Decision = Object.freeze({ action: 'fail', waitMs: 0, stopsCall: false });

/**
 * Decides what follows a failed attempt. A retry happens when the policy retries the error's
 * class (or the server says `x-should-retry: true` for a status that may be retried), tries are
 * left on this target, and the wait (Retry-After, else backoff) is within `retry.maxDelayMs` and
 * ends before the deadline; otherwise the call moves to the next target. Whatever the policy's
 * `retry`, two failures move on at once: a target that used its share of the deadline without
 * an answer (hand-over), and, when a later target exists, a connection that could not be made
 * (refused, DNS, TLS).
 */
export function decide(options: DecideOptions): Decision {
  const { error, attemptNumber, retry } = options;
  const action = options.policy[options.errorClass];
  if (action === 'fail') return stop;
  const moveOn = options.isLast ? fail : fallback;
  // A target that used its share of the deadline without an answer hands over: another try
  // would take the next target's time.
  if (error instanceof AttemptTimeoutError && error.handOver) return moveOn;
  // Nothing can answer on a connection that could not be made: the next target, at once.
  if (!options.isLast && isUnreachable(error)) return fallback;
  const advice = serverRetryAdvice(error);
  const forbidden = isRetryForbidden(error);
  const wantsRetry = action === 'retry' || (advice === true && !forbidden);
  if (!wantsRetry || forbidden || advice === false) return moveOn;
  if (attemptNumber >= retry.attempts) return moveOn;
  const asked = retryAfterMs(error, options.now);
  if (asked !== undefined && asked > retry.maxDelayMs) return moveOn;
  const waitMs = asked ?? backoffMs({ retry, attemptNumber, random: options.random });
  if (waitMs >= options.remainingMs) return moveOn;
  return { action: 'retry', waitMs, stopsCall: false };
}

/** Options of {@link backoffMs}. */
export type BackoffOptions = {
  retry: RetryPolicy;
  /** 1-based try that just failed. */
  attemptNumber: number;
  /** Random source in [0, 1). */
  random: () => number;
};

/**
 * The wait after try `attemptNumber`: `initialDelayMs × factor^(attemptNumber − 1)`, capped at
 * `maxDelayMs`; with `jitter`, "equal jitter" (half of it fixed, half random), so clients that
 * failed together do not retry together.
 */
export function backoffMs(options: BackoffOptions): number {
  const { retry, attemptNumber } = options;
  const base = Math.min(
    retry.maxDelayMs,
    retry.initialDelayMs * retry.factor ** (attemptNumber - 1),
  );
  if (!retry.jitter) return Math.round(base);
  return Math.round(base / 2 + (options.random() * base) / 2);
}
