/**
 * One target, tried until it answers or the policy moves on: a plain loop of attempt →
 * classify → decide → wait. The loop is written out rather than handed to p-retry because the
 * wait depends on the failure itself (a server's Retry-After, capped; none at all when it would
 * outlast the deadline, in which case the call moves on instead of sleeping) and jitter comes
 * from the router's injectable random source; p-retry's delay is a function of the attempt
 * number only.
 */

import type { ErrorClass } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { sleep } from '../internal/sleep.ts';
import { AttemptTimeoutError } from './attempt-errors.ts';
import {
  type AttemptLog,
  describeTarget,
  gatewayIdsOf,
  reportSuccess,
  roundMs,
  Served,
  type ServedOptions,
  statusOf,
} from './attempt-log.ts';
import type { Call, Sent } from './call.ts';
import { classifyError, describeFailure } from './classify-error.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { retryAfterMs } from './retry-after.ts';
import { type Decision, decide } from './retry-policy.ts';
import { runHook } from './run-hook.ts';

/** Error classes that say something about an upstream's health (not about the request). */
export const healthClasses: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'server',
  'timeout',
  'network',
  'rate_limit',
  'invalid_response',
]);

/** A failed attempt the policy has not looked at yet. */
export type PendingFailure = { readonly error: unknown; readonly started: number };

/**
 * Sends one attempt on the call's current controller, `targetsLeft` being the targets not yet
 * tried, this one included (see {@link startAttemptTimer}).
 */
export function sendAttempt<T>(
  call: Call<T>,
  target: ResolvedTarget,
  targetsLeft: number,
): Promise<Sent<T>> {
  const timer = startAttemptTimer(call, target, targetsLeft);
  call.signal.sent = false;
  let sent: Promise<Sent<T>>;
  try {
    sent = call.send(call, target, call.signal.controller);
  } catch (error) {
    sent = Promise.reject(error);
  }
  // Not async: without an attempt timer, the attempt's promise is the sender's own.
  return timer === undefined ? sent : sent.finally(() => clearTimeout(timer));
}

/**
 * The attempt's own time limit, when it ends before the deadline (otherwise the deadline covers
 * the attempt, and no timer is needed). Clear it once the attempt is over.
 *
 * - With `timeout.attempt` set (or a target's own limit), that limit.
 * - Without (`timeouts.handOver`), nothing cuts the last target short of the deadline; a target
 *   with later ones gets its share of what is left, `remaining ÷ targetsLeft`, computed now, so
 *   a target after a quick failure gets more time, and every target is reached even when each
 *   one before it hangs. When the share passes before the answer (a stream: before its response
 *   headers), the target hands over (no retry on it).
 *
 * `targetsLeft` is positional, not an options object: one object fewer on every call.
 */
export function startAttemptTimer<T>(
  call: Call<T>,
  target: ResolvedTarget,
  targetsLeft: number,
): ReturnType<typeof setTimeout> | undefined {
  const { timeouts } = call.plan;
  const controller = call.signal.controller;
  const setMs = target.attemptMs ?? (timeouts.handOver === true ? undefined : timeouts.attemptMs);
  if (setMs === undefined) {
    if (targetsLeft < 2) return undefined;
    const shareMs = Math.max(1, Math.floor(call.signal.remainingMs() / targetsLeft));
    const timer = setTimeout(abortAttempt, shareMs, controller, shareMs, true);
    // A stream's response headers end it (`openToCommit`): the upstream is alive.
    call.signal.handOverTimer = timer;
    return timer;
  }
  // The usual case, known without reading the clock: the attempt may take the whole call.
  if (setMs >= call.signal.totalMs) return undefined;
  const remaining = call.signal.remainingMs();
  const limitMs = Math.max(1, Math.min(setMs, remaining));
  return limitMs >= remaining
    ? undefined
    : setTimeout(abortAttempt, limitMs, controller, limitMs, false);
}

function abortAttempt(controller: AbortController, limitMs: number, handOver: boolean): void {
  controller.abort(
    new AttemptTimeoutError(
      handOver
        ? `no answer within ${Math.round(limitMs)} ms, this target's share of the time left; handing over to the next target`
        : `no response within ${Math.round(limitMs)} ms`,
      { handOver },
    ),
  );
}

/** Options of {@link succeed}. */
export type SucceedOptions<T> = ServedOptions<T> & { call: Call<T> };

/** Records a success (health, hooks) and wraps it as the call's result. */
export function succeed<T>(options: SucceedOptions<T>): Served<T> {
  const { call, target } = options;
  const { health, now } = call.runtime;
  health?.recordSuccess(target.upstream.name, now());
  // The options are the result's: no second object per success.
  const served = new Served(options);
  // On the success path the response comes later (see runPlain), and the hooks with it.
  if (options.response instanceof Response) reportServed(call, served);
  return served;
}

/** Shows a success to the hooks that want it; the response must be at hand (`Served.settle`). */
export function reportServed<T>(call: Call<T>, served: Served<T>): void {
  const { hooks, context } = call;
  if (hooks.onAttempt !== undefined || hooks.onSuccess !== undefined) {
    reportSuccess({ hooks, served, model: call.plan.model, context });
  }
}

/** How a target ended. */
export type TargetOutcome<T> =
  | { readonly ok: true; readonly served: Served<T> }
  | { readonly ok: false; readonly error: unknown; readonly stopsCall: boolean };

/** Options of {@link retryTarget}. */
export type RetryTargetOptions<T> = {
  call: Call<T>;
  log: AttemptLog;
  target: ResolvedTarget;
  targetIndex: number;
  /** Whether no later target could be tried. */
  isLast: boolean;
  /** Targets not yet tried, this one included (its share of the deadline: `startAttemptTimer`). */
  targetsLeft: number;
  /** Whether this call is the upstream's half-open health probe. */
  probe: boolean;
  /** The first attempt, when it was already sent (and failed) on the success path. */
  pending?: PendingFailure;
};

/**
 * Tries one target until it answers, the policy moves on, or the call is stopped (then the
 * stop's `RouterError` is thrown).
 */
export async function retryTarget<T>(options: RetryTargetOptions<T>): Promise<TargetOutcome<T>> {
  const { call, target } = options;
  let pending = options.pending;
  for (let attempt = 1; ; attempt += 1) {
    if (pending === undefined) {
      const started = performance.now();
      try {
        const sent = await sendAttempt(call, target, options.targetsLeft);
        return { ok: true, served: succeed({ ...options, attempt, ...sent, started }) };
      } catch (error) {
        pending = { error, started };
      }
    }
    const { decision, cause } = settleFailure({ ...options, attempt, failure: pending });
    pending = undefined;
    if (decision.action !== 'retry') {
      return { ok: false, error: cause, stopsCall: decision.stopsCall };
    }
    await sleep(decision.waitMs, call.signal.signal);
  }
}

/** A failed attempt with what the walker knows of it. */
type Failed<T> = RetryTargetOptions<T> & { attempt: number; failure: PendingFailure };

/**
 * Looks at a failed attempt: a stopped call throws its stop; otherwise the failure is redacted,
 * classified, decided on, reported to health memory, logged and shown to the hooks, and the
 * call gets a fresh controller for what follows.
 */
function settleFailure<T>(options: Failed<T>): { decision: Decision; cause: unknown } {
  const { call, target, attempt, failure } = options;
  const { signal, runtime } = call;
  const durationMs = roundMs(performance.now() - failure.started);
  const stopped = signal.stopped;
  if (stopped !== undefined) throw logStop({ ...options, stopped, durationMs });
  // An attempt-level limit (the attempt's own, a stream's first-token or idle limit) says more
  // than the error the SDK saw when it cut the request.
  const limit = signal.controller.signal.reason;
  const cause = redactorFor(target.setup.secrets).inPlace(
    limit instanceof Error && !(limit instanceof RouterError) ? limit : failure.error,
  );
  // Nothing reached the wire: the request itself cannot be sent, on this target or any other.
  if (!signal.sent) throw logNotSent({ ...options, cause, durationMs });
  signal.renew();
  const errorClass = classifyError(cause);
  const decision = decide({
    error: cause,
    errorClass,
    policy: call.plan.policy,
    retry: call.plan.retry,
    attemptNumber: attempt,
    isLast: options.isLast,
    remainingMs: signal.remainingMs(),
    now: runtime.now(),
    random: runtime.random,
  });
  if (healthClasses.has(errorClass)) reportHealth({ call, target, cause });
  logFailure({ ...options, cause, errorClass, decision, durationMs });
  return { decision, cause };
}

/** Logs the attempt a stop (deadline, caller, close) cut short; returns the stop to throw. */
function logStop<T>(
  options: Failed<T> & { stopped: RouterError; durationMs: number },
): RouterError {
  const { call, log, target, stopped } = options;
  if (options.probe) call.runtime.health?.releaseProbe(target.upstream.name);
  const deadline = stopped.code === 'DEADLINE_EXCEEDED';
  log.add(
    {
      ...describeTarget(target, options.targetIndex, options.attempt),
      ...(deadline ? { errorClass: 'timeout' as const } : {}),
      decision: 'fail',
      waitMs: 0,
      durationMs: options.durationMs,
      message: deadline ? 'the call deadline passed' : 'aborted by the caller',
    },
    stopped,
  );
  return stopped;
}

/**
 * Logs an attempt that failed before its request left the process (the SDK could not serialise
 * the body, a parameter was refused locally) and returns the call's error: `INVALID_REQUEST`,
 * with no retry, no other target and no health record, since the request is the caller's.
 */
function logNotSent<T>(options: Failed<T> & { cause: unknown; durationMs: number }): RouterError {
  const { call, log, target, cause } = options;
  if (options.probe) call.runtime.health?.releaseProbe(target.upstream.name);
  const reason = describeFailure(cause);
  log.add(
    {
      ...describeTarget(target, options.targetIndex, options.attempt),
      errorClass: 'bad_request',
      decision: 'fail',
      waitMs: 0,
      durationMs: options.durationMs,
      message: `never sent: ${reason}`,
    },
    cause,
  );
  return new RouterError(
    `${call.plan.model}: the request never left the process (${reason}); nothing was sent to any upstream. Fix the request: a body JSON cannot encode (nested too deep, a BigInt, a cycle), a header value the client refuses (a line break), or a parameter it refuses`,
    { code: 'INVALID_REQUEST', cause },
  );
}

/** Writes a failed attempt to the log (and `onAttempt`), and shows a retry to `onRetry`. */
function logFailure<T>(
  options: Failed<T> & {
    cause: unknown;
    errorClass: ErrorClass;
    decision: Decision;
    durationMs: number;
  },
): void {
  const { call, cause, decision } = options;
  const entry = options.log.add(
    {
      ...describeTarget(options.target, options.targetIndex, options.attempt),
      ...statusOf(cause),
      errorClass: options.errorClass,
      decision: decision.action,
      waitMs: decision.waitMs,
      durationMs: options.durationMs,
      message: describeFailure(cause),
      ...gatewayIdsOf(cause),
    },
    cause,
  );
  if (decision.action !== 'retry') return;
  runHook({
    hooks: call.hooks,
    name: 'onRetry',
    state: {
      model: call.plan.model,
      attempt: entry,
      error: cause,
      waitMs: decision.waitMs,
      ...(call.context === undefined ? {} : { context: call.context }),
    },
  });
}

/** Tells health memory about a failure; a 429/503 Retry-After sets the cool-down. */
export function reportHealth<T>(options: {
  call: Call<T>;
  target: ResolvedTarget;
  cause: unknown;
}): void {
  const { health, now } = options.call.runtime;
  if (health === undefined) return;
  const asked = retryAfterMs(options.cause, now());
  const status = (options.cause as { status?: number }).status;
  health.recordFailure(options.target.upstream.name, {
    now: now(),
    ...(asked !== undefined && (status === 429 || status === 503) ? { retryAfterMs: asked } : {}),
  });
}
