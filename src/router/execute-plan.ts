/**
 * Walks a plan: per target, p-retry retries within the policy; then the next target. One deadline
 * covers the whole call; the caller's signal stops everything at once. Health memory skips
 * upstreams that are cooling down. Every request (and every skip) is recorded in the attempt
 * log, and the hooks see each step.
 */
import pRetry, { AbortError } from 'p-retry';
import type { ErrorAction, ErrorClass } from '../config/route-table.ts';
import { AllTargetsFailedError, type AttemptRecord, RouterError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { sleep } from '../internal/sleep.ts';
import {
  AttemptTimeoutError,
  classifyError,
  describeFailure,
  isRetryForbidden,
  serverRetryAdvice,
} from './classify-error.ts';
import type { HealthStore } from './health-memory.ts';
import { orderTargets, type ResolvedPlan, type ResolvedTarget } from './resolve-plan.ts';
import { retryAfterMs } from './retry-after.ts';
import { runHook } from './run-hook.ts';
import type { CallContext, RouteInfo, RouterHooks, TokenUsage } from './types.ts';

/** What one attempt gets to work with. */
export type AttemptContext = {
  readonly plan: ResolvedPlan;
  readonly target: ResolvedTarget;
  /** 1-based try on this target. */
  readonly attempt: number;
  /** Aborts when the attempt must stop (its own limit, the deadline, or the caller). */
  readonly signal: AbortSignal;
  /** This attempt's time limit, in ms. */
  readonly timeoutMs: number;
  /** The attempt's controller: streams keep using it after the call has committed. */
  readonly attemptController: AbortController;
};

/** What a successful attempt returns. */
export type AttemptResult<T> = {
  readonly value: T;
  /** The serving response. */
  readonly response: Response;
  /**
   * Streams: keep the caller's signal linked to the attempt after commit (the stream owns the
   * link and calls `release` when it ends). Plain calls leave this false.
   */
  readonly keepAlive?: boolean;
  /** Token usage read from the response, when it has one. */
  readonly usage?: TokenUsage;
};

/** Options of {@link executePlan}. */
export type ExecutePlanOptions<T> = {
  plan: ResolvedPlan;
  /** Sends one request. */
  perform: (context: AttemptContext) => Promise<AttemptResult<T>>;
  /** The caller's signals (the request's, the router's). */
  signals: readonly (AbortSignal | undefined)[];
  /**
   * Registers the call with its router so `close()` can stop it; returns the unregister
   * function. (A callback rather than a router-wide AbortSignal: Workers tie a signal to the
   * request that created it, and a router lives across requests.)
   */
  register?: (stop: (reason: RouterError) => void) => () => void;
  /** Overrides the plan's total deadline, in ms. */
  totalMs?: number;
  /** Give every attempt its own signal even without its own time limit (streams). */
  ownAttemptSignal?: boolean;
  hooks: RouterHooks;
  /** Health memory; undefined turns it off. */
  health: HealthStore | undefined;
  /** Wall clock in ms (Retry-After dates, health). */
  now: () => number;
  /** Random source in [0, 1) for jitter. */
  random: () => number;
  /** The call's context: added to every attempt record, hook state and the route. */
  context?: CallContext;
};

/** A finished call. */
export type ExecuteResult<T> = {
  readonly value: T;
  readonly response: Response;
  readonly route: RouteInfo;
  /** For kept-alive streams: unlinks the caller's signals; call once when the stream ends. */
  readonly release: () => void;
  /** The serving attempt's controller (streams abort through it). */
  readonly controller: AbortController;
};

/** Error classes that say something about an upstream's health (not about the request). */
const healthClasses = new Set<ErrorClass>([
  'server',
  'timeout',
  'network',
  'rate_limit',
  'invalid_response',
]);

/** What follows a failed attempt. `stopped`: the policy ended the call. */
export type Failure = { error: unknown; decision: ErrorAction; waitMs: number; stopped?: boolean };

type TargetOutcome<T> =
  | {
      readonly ok: true;
      readonly result: AttemptResult<T>;
      readonly controller: AbortController;
      readonly release: () => void;
    }
  | { readonly ok: false; readonly failure: Failure | undefined; readonly error: unknown };

/** Runs a plan to its first success, or throws one error with the whole attempt log. */
export async function executePlan<T>(options: ExecutePlanOptions<T>): Promise<ExecuteResult<T>> {
  const { plan, hooks, health } = options;
  const attempts: AttemptRecord[] = [];
  const totalMs = options.totalMs ?? plan.timeouts.totalMs;
  const deadline = performance.now() + totalMs;

  // One controller for the call: the caller's signals and the deadline abort it.
  const call = new AbortController();
  const expire = () =>
    call.abort(
      new RouterError(`${plan.model}: deadline of ${totalMs} ms exceeded`, {
        code: 'DEADLINE_EXCEEDED',
      }),
    );
  const deadlineTimer = setTimeout(expire, totalMs);
  const unlinks: (() => void)[] = [];
  for (const signal of options.signals) {
    if (signal === undefined) continue;
    if (signal.aborted) {
      call.abort(abortedError(plan.model, signal.reason));
      break;
    }
    const onAbort = () => call.abort(abortedError(plan.model, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    unlinks.push(() => signal.removeEventListener('abort', onAbort));
  }
  if (options.register !== undefined) {
    unlinks.push(options.register((reason) => call.abort(abortedError(plan.model, reason))));
  }
  const unlinkCaller = () => {
    for (const unlink of unlinks.splice(0)) unlink();
  };
  let keepCallerLinked = false;

  const context = options.context;
  // Spread into each hook state: nothing at all when the call has no context.
  const withContext = context === undefined ? {} : { context };
  // Records are frozen: hooks and callers read the same objects, and none can rewrite the log.
  const record = (entry: AttemptRecord, error?: unknown): AttemptRecord => {
    const logged = Object.freeze({
      ...entry,
      ...(entry.gatewayIds === undefined ? {} : { gatewayIds: Object.freeze(entry.gatewayIds) }),
      ...(context === undefined ? {} : { context }),
    });
    attempts.push(logged);
    runHook({
      hooks,
      name: 'onAttempt',
      state: {
        model: plan.model,
        attempt: logged,
        ...(error === undefined ? {} : { error }),
        ...withContext,
      },
    });
    return logged;
  };

  const runTarget = async (
    target: ResolvedTarget,
    index: number,
    isLast: boolean,
    probe: boolean,
  ): Promise<TargetOutcome<T>> => {
    let failure: Failure | undefined;
    const attemptOnce = async (attemptNumber: number) => {
      const started = performance.now();
      const remaining = deadline - started;
      const timeoutMs = Math.max(1, Math.min(plan.timeouts.attemptMs, remaining));
      // A plain attempt that may run until the deadline needs no controller of its own: the
      // call's serves (the common case, and the cheapest). Streams always get their own,
      // since first-token and idle limits end one attempt, not the call.
      const shared = !options.ownAttemptSignal && timeoutMs >= remaining;
      const attemptController = shared ? call : new AbortController();
      // Only an attempt limit shorter than what is left of the deadline needs a timer; else
      // the deadline's timer ends the call, and this attempt with it.
      const attemptTimer =
        shared || timeoutMs >= remaining
          ? undefined
          : setTimeout(
              () =>
                attemptController.abort(
                  new AttemptTimeoutError(`no response within ${Math.round(timeoutMs)} ms`),
                ),
              timeoutMs,
            );
      const onCallAbort = () => attemptController.abort(call.signal.reason);
      if (!shared) call.signal.addEventListener('abort', onCallAbort, { once: true });
      const release = () => {
        clearTimeout(attemptTimer);
        if (!shared) call.signal.removeEventListener('abort', onCallAbort);
      };
      try {
        const result = await options.perform({
          plan,
          target,
          attempt: attemptNumber,
          signal: attemptController.signal,
          timeoutMs,
          attemptController,
        });
        clearTimeout(attemptTimer);
        if (result.keepAlive !== true) release();
        health?.recordSuccess(target.upstream.name, options.now());
        record({
          ...describeTarget(target, index, attemptNumber),
          status: result.response.status,
          decision: 'success',
          waitMs: 0,
          durationMs: round(performance.now() - started),
          gatewayIds: redactorFor(target.setup.secrets).inPlace(
            gatewayIds(result.response.headers),
          ),
        });
        return { result, controller: attemptController, release };
      } catch (error) {
        release();
        if (call.signal.aborted) {
          if (probe) health?.releaseProbe(target.upstream.name);
          const reason = call.signal.reason as RouterError;
          record(
            {
              ...describeTarget(target, index, attemptNumber),
              ...(reason.code === 'DEADLINE_EXCEEDED' ? { errorClass: 'timeout' as const } : {}),
              decision: 'fail',
              waitMs: 0,
              durationMs: round(performance.now() - started),
              message:
                reason.code === 'DEADLINE_EXCEEDED'
                  ? 'the call deadline passed'
                  : 'aborted by the caller',
            },
            reason,
          );
          throw new AbortError(reason);
        }
        const timedOut = attemptController.signal.reason;
        // A gateway may echo the credential it was sent (body, headers, request id, an SSE
        // error event); nothing relayed from here carries it.
        const cause = redactorFor(target.setup.secrets).inPlace(
          timedOut instanceof Error && !(timedOut instanceof RouterError) ? timedOut : error,
        );
        const errorClass = classifyError(cause);
        failure = decide({
          error: cause,
          errorClass,
          plan,
          attemptNumber,
          isLast,
          remainingMs: deadline - performance.now(),
          now: options.now(),
          random: options.random,
        });
        if (healthClasses.has(errorClass)) {
          const asked = retryAfterMs(cause, options.now());
          const status = (cause as { status?: number }).status;
          health?.recordFailure(target.upstream.name, {
            now: options.now(),
            ...(asked !== undefined && (status === 429 || status === 503)
              ? { retryAfterMs: asked }
              : {}),
          });
        }
        const logged = record(
          {
            ...describeTarget(target, index, attemptNumber),
            ...statusOf(cause),
            errorClass,
            decision: failure.decision,
            waitMs: failure.waitMs,
            durationMs: round(performance.now() - started),
            message: describeFailure(cause),
            ...gatewayIdsOf(cause),
          },
          cause,
        );
        if (failure.decision === 'retry') {
          const waitMs = failure.waitMs;
          runHook({
            hooks,
            name: 'onRetry',
            state: { model: plan.model, attempt: logged, error: cause, waitMs, ...withContext },
          });
          throw asError(cause);
        }
        throw new AbortError(asError(cause));
      }
    };
    try {
      // The first attempt runs directly: most calls need no retry, and p-retry's set-up is
      // per-call cost. After a failure the policy says to retry, p-retry runs the rest.
      try {
        return { ok: true, ...(await attemptOnce(1)) };
      } catch (error) {
        if (error instanceof AbortError || failure?.decision !== 'retry') throw error;
      }
      await sleep(failure.waitMs, call.signal);
      const outcome = await pRetry((attemptNumber) => attemptOnce(attemptNumber + 1), {
        retries: plan.retry.attempts - 2,
        // The router computes every wait itself (backoff with jitter, Retry-After, the
        // deadline) and sleeps in shouldRetry, so p-retry's own delay stays zero.
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        signal: call.signal,
        shouldRetry: async () => {
          await sleep(failure?.waitMs ?? 0, call.signal);
          return true;
        },
      });
      return { ok: true, ...outcome };
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      return { ok: false, failure, error: failure?.error ?? error };
    }
  };

  let primaryError: unknown;
  let lastError: unknown;
  let stopReason: string | undefined;
  try {
    const cooling: { target: ResolvedTarget; index: number; retryInMs: number }[] = [];
    let sent = false;
    const finish = (
      target: ResolvedTarget,
      outcome: TargetOutcome<T> & { ok: true },
    ): ExecuteResult<T> => {
      // The caller's route (a stream adds its usage when the last chunk arrives); hooks get a
      // frozen copy.
      const route: RouteInfo = {
        model: plan.model,
        upstream: target.upstream.name,
        gateway: target.gateway.name,
        upstreamModel: target.upstream.model,
        attempts: Object.freeze([...attempts]),
        // The successful attempt (the last one logged) already read them from the response.
        gatewayIds: attempts.at(-1)?.gatewayIds ?? Object.freeze({}),
        ...withContext,
        ...(outcome.result.usage === undefined ? {} : { usage: outcome.result.usage }),
      };
      runHook({
        hooks,
        name: 'onSuccess',
        state: { model: plan.model, route: Object.freeze({ ...route }), ...withContext },
      });
      keepCallerLinked = outcome.result.keepAlive === true;
      return {
        value: outcome.result.value,
        response: outcome.result.response,
        route,
        controller: outcome.controller,
        release: () => {
          outcome.release();
          unlinkCaller();
        },
      };
    };

    // Load balancing draws this call's order; an ordered plan walks its targets as listed.
    const order =
      plan.weights === undefined ? undefined : orderTargets(plan.weights, options.random);
    const count = plan.targets.length;
    for (let position = 0; position < count; position++) {
      const index = order === undefined ? position : (order[position] as number);
      const target = plan.targets[index] as ResolvedTarget;
      let ticket = health?.acquire(target.upstream.name, options.now()) ?? {
        available: true as const,
        probe: false,
      };
      // A shared store answers asynchronously; the in-memory one costs no extra tick.
      if (ticket instanceof Promise) ticket = await ticket;
      if (!ticket.available) {
        cooling.push({ target, index, retryInMs: ticket.retryInMs });
        record({
          ...describeTarget(target, index, 0),
          decision: 'skipped',
          waitMs: 0,
          durationMs: 0,
          message: `cooling down after recent failures; next try in ${Math.ceil(ticket.retryInMs)} ms`,
        });
        continue;
      }
      sent = true;
      const outcome = await runTarget(target, index, position === count - 1, ticket.probe);
      if (outcome.ok) return finish(target, outcome);
      if (primaryError === undefined) primaryError = outcome.error;
      lastError = outcome.error;
      if (outcome.failure?.stopped === true) {
        stopReason = `stopped: the policy does not retry ${classifyError(outcome.error)} errors or pass them to another target`;
        break;
      }
      const next =
        position + 1 >= count
          ? undefined
          : plan.targets[order === undefined ? position + 1 : (order[position + 1] as number)];
      if (next !== undefined) {
        runHook({
          hooks,
          name: 'onFallback',
          state: {
            model: plan.model,
            from: target.upstream.name,
            to: next.upstream.name,
            error: outcome.error,
            ...withContext,
          },
        });
      }
    }

    // Every target was cooling down: rather than fail without a request, try the one that
    // recovers soonest.
    if (!sent && cooling.length > 0) {
      const soonest = cooling.reduce((best, entry) =>
        entry.retryInMs < best.retryInMs ? entry : best,
      );
      const outcome = await runTarget(soonest.target, soonest.index, true, false);
      if (outcome.ok) return finish(soonest.target, outcome);
      primaryError = outcome.error;
      lastError = outcome.error;
    }

    const failed = new AllTargetsFailedError({
      model: plan.model,
      attempts,
      primaryError,
      lastError,
      ...(stopReason === undefined ? {} : { reason: stopReason }),
    });
    runHook({
      hooks,
      name: 'onFailure',
      state: { model: plan.model, error: failed, attempts: failed.attempts, ...withContext },
    });
    throw failed;
  } catch (error) {
    if (
      error instanceof RouterError &&
      !(error instanceof AllTargetsFailedError) &&
      (error.code === 'ABORTED' ||
        error.code === 'DEADLINE_EXCEEDED' ||
        error.code === 'ROUTER_CLOSED')
    ) {
      const stopped = withAttempts(error, attempts);
      runHook({
        hooks,
        name: 'onFailure',
        state: {
          model: plan.model,
          error: stopped,
          attempts: Object.freeze([...attempts]),
          ...withContext,
        },
      });
      throw stopped;
    }
    throw error;
  } finally {
    clearTimeout(deadlineTimer);
    if (!keepCallerLinked) unlinkCaller();
  }
}

/**
 * Decides what follows a failed attempt. Pure: time comes in as `now` (wall clock, for
 * Retry-After dates) and `remainingMs` (what is left of the call's deadline).
 */
export function decide(options: {
  error: unknown;
  errorClass: ErrorClass;
  plan: Pick<ResolvedPlan, 'policy' | 'retry'>;
  attemptNumber: number;
  isLast: boolean;
  remainingMs: number;
  now: number;
  random: () => number;
}): Failure {
  const { error, plan, attemptNumber, isLast } = options;
  const action = plan.policy[options.errorClass];
  const moveOn: Failure = { error, decision: isLast ? 'fail' : 'fallback', waitMs: 0 };
  if (action === 'fail') return { error, decision: 'fail', waitMs: 0, stopped: true };
  const advice = serverRetryAdvice(error);
  // `x-should-retry: true` lets a retryable status retry even where the policy would move on.
  const wantsRetry = action === 'retry' || (advice === true && !isRetryForbidden(error));
  if (!wantsRetry || isRetryForbidden(error) || advice === false) return moveOn;
  if (attemptNumber >= plan.retry.attempts) return moveOn;
  const asked = retryAfterMs(error, options.now);
  if (asked !== undefined && asked > plan.retry.maxDelayMs) return moveOn;
  const waitMs = asked ?? backoff({ retry: plan.retry, attemptNumber, random: options.random });
  // A wait the deadline would cut short is no retry: move on now.
  if (waitMs >= options.remainingMs) return moveOn;
  return { error, decision: 'retry', waitMs };
}

/** Exponential backoff, capped, with "equal jitter" (half fixed, half random). */
export function backoff(options: {
  retry: ResolvedPlan['retry'];
  attemptNumber: number;
  random: () => number;
}): number {
  const { retry, attemptNumber } = options;
  const base = Math.min(
    retry.maxDelayMs,
    retry.initialDelayMs * retry.factor ** (attemptNumber - 1),
  );
  if (!retry.jitter) return Math.round(base);
  return Math.round(base / 2 + (options.random() * base) / 2);
}

function describeTarget(target: ResolvedTarget, targetIndex: number, attempt: number) {
  return {
    upstream: target.upstream.name,
    gateway: target.gateway.name,
    model: target.upstream.model,
    targetIndex,
    attempt,
  };
}

function statusOf(error: unknown): { status?: number } {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? { status } : {};
}

function gatewayIdsOf(error: unknown): { gatewayIds?: Record<string, string> } {
  const headers = (error as { headers?: unknown } | undefined)?.headers;
  if (!(headers instanceof Headers)) return {};
  const ids = gatewayIds(headers);
  return Object.keys(ids).length === 0 ? {} : { gatewayIds: ids };
}

/** Response identifiers worth keeping: Cloudflare's `cf-aig-*` and the usual request ids. */
export function gatewayIds(headers: Headers): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith('cf-aig-') || name === 'x-request-id' || name === 'x-vercel-id')
      ids[name] = value;
  }
  return ids;
}

function abortedError(model: string, reason: unknown): RouterError {
  if (reason instanceof RouterError && reason.code === 'ROUTER_CLOSED') {
    return new RouterError(`${model}: the router was closed`, {
      code: 'ROUTER_CLOSED',
      cause: reason,
    });
  }
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}

/** The abort or deadline error, with the attempts made before it. */
function withAttempts(error: RouterError, attempts: readonly AttemptRecord[]): RouterError {
  if (!Object.hasOwn(error, 'attempts')) {
    Object.defineProperty(error, 'attempts', {
      value: Object.freeze([...attempts]),
      enumerable: true,
    });
  }
  return error;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
