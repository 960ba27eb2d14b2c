/**
 * Walks a plan: per target, p-retry retries within the policy; then the next target. One deadline
 * covers the whole call; the caller's signal stops everything at once. Every request is recorded
 * in the attempt log, and the hooks see each step.
 */
import pRetry, { AbortError } from 'p-retry';
import type { ErrorAction } from '../config/route-table.ts';
import { AllTargetsFailedError, type AttemptRecord, RouterError } from '../errors.ts';
import { sleep } from '../internal/sleep.ts';
import {
  AttemptTimeoutError,
  classifyError,
  describeFailure,
  isRetryForbidden,
  serverRetryAdvice,
} from './classify-error.ts';
import type { ResolvedPlan, ResolvedTarget } from './resolve-plan.ts';
import { retryAfterMs } from './retry-after.ts';
import type { RouteInfo, RouterHooks } from './types.ts';

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
  /** The call's controller: streams keep using it after the call has committed. */
  readonly attemptController: AbortController;
};

/** What a successful attempt returns. */
export type AttemptResult<T> = {
  readonly value: T;
  /** The serving response. */
  readonly response: Response;
  /**
   * Streams: keep the attempt's signal and listeners alive after commit (the stream owns them
   * and calls `release` when it ends). Plain calls leave this false.
   */
  readonly keepAlive?: boolean;
};

/** Options of {@link executePlan}. */
export type ExecutePlanOptions<T> = {
  plan: ResolvedPlan;
  /** Sends one request. */
  perform: (context: AttemptContext) => Promise<AttemptResult<T>>;
  /** The caller's signal (the request's, the router's). */
  signals: readonly (AbortSignal | undefined)[];
  /** Overrides the plan's total deadline, in ms. */
  totalMs?: number;
  hooks: RouterHooks;
  random: () => number;
};

/** A finished call. */
export type ExecuteResult<T> = {
  readonly value: T;
  readonly response: Response;
  readonly route: RouteInfo;
  /** For kept-alive streams: frees the attempt's timers and listeners. */
  readonly release: () => void;
  /** The serving attempt's controller (streams abort through it). */
  readonly controller: AbortController;
};

/** `stopped`: the policy ended the call (rather than the chain running out). */
type Failure = { error: unknown; decision: ErrorAction; waitMs: number; stopped?: boolean };

/** Runs a plan to its first success, or throws one error with the whole attempt log. */
export async function executePlan<T>(options: ExecutePlanOptions<T>): Promise<ExecuteResult<T>> {
  const { plan, hooks } = options;
  const attempts: AttemptRecord[] = [];
  const totalMs = options.totalMs ?? plan.timeouts.totalMs;
  const deadline = performance.now() + totalMs;

  // One controller for the call: the caller's signals and the deadline abort it.
  const call = new AbortController();
  const deadlineTimer = setTimeout(() => {
    call.abort(
      new RouterError(`${plan.model}: deadline of ${totalMs} ms exceeded`, {
        code: 'DEADLINE_EXCEEDED',
      }),
    );
  }, totalMs);
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
  const finishCall = () => {
    clearTimeout(deadlineTimer);
    for (const unlink of unlinks) unlink();
  };

  let primaryError: unknown;
  let lastError: unknown;
  let stopReason: string | undefined;
  try {
    for (const [index, target] of plan.targets.entries()) {
      const isLast = index === plan.targets.length - 1;
      let failure: Failure | undefined;
      try {
        const outcome = await pRetry(
          async (attemptNumber) => {
            const started = performance.now();
            const remaining = deadline - started;
            const timeoutMs = Math.max(1, Math.min(plan.timeouts.attemptMs, remaining));
            const attemptController = new AbortController();
            const attemptTimer = setTimeout(
              () =>
                attemptController.abort(
                  new AttemptTimeoutError(`attempt timed out after ${timeoutMs} ms`),
                ),
              timeoutMs,
            );
            const onCallAbort = () => attemptController.abort(call.signal.reason);
            call.signal.addEventListener('abort', onCallAbort, { once: true });
            const release = () => {
              clearTimeout(attemptTimer);
              call.signal.removeEventListener('abort', onCallAbort);
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
              const record: AttemptRecord = {
                ...describeTarget(target, index, attemptNumber),
                status: result.response.status,
                decision: 'success',
                waitMs: 0,
                durationMs: round(performance.now() - started),
                gatewayIds: gatewayIds(result.response.headers),
              };
              attempts.push(record);
              safely(() => hooks.onAttempt?.({ model: plan.model, attempt: record }));
              if (result.keepAlive === true) clearTimeout(attemptTimer);
              else release();
              return { result, release, attemptController };
            } catch (error) {
              release();
              if (call.signal.aborted) throw new AbortError(asError(call.signal.reason));
              const cause =
                attemptController.signal.reason instanceof AttemptTimeoutError
                  ? attemptController.signal.reason
                  : error;
              failure = decide({
                error: cause,
                plan,
                attemptNumber,
                isLast,
                deadline,
                random: options.random,
              });
              const record: AttemptRecord = {
                ...describeTarget(target, index, attemptNumber),
                ...statusOf(cause),
                errorClass: classifyError(cause),
                decision: failure.decision,
                waitMs: failure.waitMs,
                durationMs: round(performance.now() - started),
                message: describeFailure(cause),
                ...gatewayIdsOf(cause),
              };
              attempts.push(record);
              safely(() => hooks.onAttempt?.({ model: plan.model, attempt: record, error: cause }));
              if (failure.decision === 'retry') {
                safely(() =>
                  hooks.onRetry?.({
                    model: plan.model,
                    attempt: record,
                    error: cause,
                    waitMs: failure?.waitMs ?? 0,
                  }),
                );
                throw asError(cause);
              }
              throw new AbortError(asError(cause));
            }
          },
          {
            retries: plan.retry.attempts - 1,
            // The router computes every wait itself (backoff with jitter, Retry-After, the
            // deadline) and sleeps in shouldRetry; p-retry's own delay stays zero.
            minTimeout: 0,
            maxTimeout: 0,
            factor: 1,
            signal: call.signal,
            shouldRetry: async () => {
              await sleep(failure?.waitMs ?? 0, call.signal);
              return true;
            },
          },
        );
        const route: RouteInfo = {
          model: plan.model,
          upstream: target.upstream.name,
          gateway: target.gateway.name,
          upstreamModel: target.upstream.model,
          attempts: Object.freeze([...attempts]),
          gatewayIds: gatewayIds(outcome.result.response.headers),
        };
        safely(() => hooks.onSuccess?.({ model: plan.model, route }));
        return {
          value: outcome.result.value,
          response: outcome.result.response,
          route,
          release: outcome.release,
          controller: outcome.attemptController,
        };
      } catch (error) {
        if (call.signal.aborted) throw call.signal.reason;
        const cause = failure?.error ?? error;
        if (index === 0) primaryError = cause;
        lastError = cause;
        if (failure?.stopped === true) {
          stopReason = `stopped: ${classifyError(cause)} errors are not retried or passed to another target`;
          break;
        }
        const next = plan.targets[index + 1];
        if (next !== undefined) {
          safely(() =>
            hooks.onFallback?.({
              model: plan.model,
              from: target.upstream.name,
              to: next.upstream.name,
              error: cause,
            }),
          );
        }
      }
    }
    const failed = new AllTargetsFailedError({
      model: plan.model,
      attempts,
      primaryError,
      lastError,
      ...(stopReason === undefined ? {} : { reason: stopReason }),
    });
    safely(() =>
      hooks.onFailure?.({ model: plan.model, error: failed, attempts: failed.attempts }),
    );
    throw failed;
  } catch (error) {
    if (
      error instanceof RouterError &&
      (error.code === 'ABORTED' || error.code === 'DEADLINE_EXCEEDED') &&
      !(error instanceof AllTargetsFailedError)
    ) {
      const stopped = withAttempts(error, attempts);
      safely(() => hooks.onFailure?.({ model: plan.model, error: stopped, attempts }));
      throw stopped;
    }
    throw error;
  } finally {
    finishCall();
  }
}

/** Decides what follows a failed attempt. */
function decide(options: {
  error: unknown;
  plan: ResolvedPlan;
  attemptNumber: number;
  isLast: boolean;
  deadline: number;
  random: () => number;
}): Failure {
  const { error, plan, attemptNumber, isLast } = options;
  const action = plan.policy[classifyError(error)];
  const moveOn: Failure = { error, decision: isLast ? 'fail' : 'fallback', waitMs: 0 };
  if (action === 'fail') return { error, decision: 'fail', waitMs: 0, stopped: true };
  if (action === 'fallback') return moveOn;
  if (isRetryForbidden(error) || serverRetryAdvice(error) === false) return moveOn;
  if (attemptNumber >= plan.retry.attempts) return moveOn;
  const asked = retryAfterMs(error, Date.now());
  if (asked !== undefined && asked > plan.retry.maxDelayMs) return moveOn;
  const waitMs = asked ?? backoff({ retry: plan.retry, attemptNumber, random: options.random });
  const remaining = options.deadline - performance.now();
  if (waitMs >= remaining) return moveOn;
  return { error, decision: 'retry', waitMs };
}

/** Exponential backoff, capped, with "equal jitter" (half fixed, half random). */
function backoff(options: {
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
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}

/** The same abort or deadline error, with the attempts made before it. */
function withAttempts(error: RouterError, attempts: readonly AttemptRecord[]): RouterError {
  Object.defineProperty(error, 'attempts', {
    value: Object.freeze([...attempts]),
    enumerable: true,
  });
  return error;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function safely(run: () => void): void {
  try {
    run();
  } catch {
    // A hook's failure must not change the call's outcome.
  }
}
