/**
 * The walk over a plan's targets, entered once the success path has failed (or the first
 * target is cooling down): each target gets its attempt loop (`retryTarget`), the next one
 * follows unless the policy stops the call, upstreams that health memory says are cooling down
 * are skipped (and the one that recovers soonest is tried when all are), and every step is
 * written to the attempt log and shown to the hooks.
 */

import type { ErrorClass } from '../config/route-table.ts';
import {
  AllTargetsFailedError,
  type AttemptRecord,
  RouterError,
  recordAttempts,
} from '../errors.ts';
import type { Served } from './attempt-log.ts';
import { AttemptLog, describeTarget } from './attempt-log.ts';
import type { Call } from './call.ts';
import { classifyError } from './classify-error.ts';
import type { HealthTicket } from './health-memory.ts';
import { sizeMismatch } from './request-size.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { type PendingFailure, retryTarget, type TargetOutcome } from './retry-target.ts';
import { runHook } from './run-hook.ts';

/** What the success path already did on the first target. */
export type FirstTarget = {
  /** Its health ticket. */
  readonly ticket: HealthTicket;
  /** Its first attempt, when it was sent and failed. */
  readonly failure?: PendingFailure;
};

/**
 * Where a walk resumes after a hedge whose two attempts both failed (`hedge-stream.ts`): its log
 * holds them, and the walk goes on from `position` in the call's order.
 */
export type ResumeWalk = {
  readonly log: AttemptLog;
  readonly position: number;
  readonly primaryError: unknown;
  readonly lastError: unknown;
  /** The error class the policy stops the call on, when one of the two failures does. */
  readonly stoppedOn: ErrorClass | undefined;
};

/** Options of {@link walkTargets}. */
export type WalkTargetsOptions<T> = {
  call: Call<T>;
  first?: FirstTarget;
  resume?: ResumeWalk;
};

const go: HealthTicket = Object.freeze({ available: true, probe: false });

/**
 * Walks the plan to its first success. Throws an `AllTargetsFailedError` with the whole log, or
 * the call's stop (`DEADLINE_EXCEEDED`, `ABORTED`, `ROUTER_CLOSED`, or `INVALID_REQUEST` for a
 * request that never left the process) with the attempts made.
 */
export async function walkTargets<T>(options: WalkTargetsOptions<T>): Promise<Served<T>> {
  const { call } = options;
  const log =
    options.resume?.log ??
    new AttemptLog({ model: call.plan.model, hooks: call.hooks, context: call.context });
  const withContext = call.context === undefined ? {} : { context: call.context };
  try {
    return await walk({ ...options, log });
  } catch (error) {
    if (error instanceof RouterError && isStop(error)) {
      const stopped = withAttempts(error, log.records);
      runHook({
        hooks: call.hooks,
        name: 'onFailure',
        state: { model: call.plan.model, error: stopped, attempts: log.snapshot(), ...withContext },
      });
      throw stopped;
    }
    throw error;
  }
}

type Cooling = { target: ResolvedTarget; index: number; retryInMs: number };

/** What the walk learnt on its way: the failures to report if nothing succeeds. */
type Walked = {
  cooling: Cooling[];
  sent: boolean;
  primaryError: unknown;
  lastError: unknown;
  /** The error class the policy stopped the call on, if it did. */
  stoppedOn: ErrorClass | undefined;
  /** Targets skipped because the request cannot fit them. */
  tooSmall: number;
  /** After a context-length error on a target with a known window: that window, in tokens. */
  refusedWindow: number | undefined;
};

async function walk<T>(options: WalkTargetsOptions<T> & { log: AttemptLog }): Promise<Served<T>> {
  const { call, log } = options;
  const { plan, order } = call;
  const { resume } = options;
  const walked: Walked = {
    cooling: [],
    sent: resume !== undefined,
    primaryError: resume?.primaryError,
    lastError: resume?.lastError,
    stoppedOn: resume?.stoppedOn,
    tooSmall: 0,
    refusedWindow: undefined,
  };
  const count = plan.targets.length;
  const from = walked.stoppedOn === undefined ? (resume?.position ?? 0) : count;
  for (let position = from; position < count; position++) {
    const index = order === undefined ? position : (order[position] as number);
    const target = plan.targets[index] as ResolvedTarget;
    if (skipTooSmall({ call, log, target, index, walked })) continue;
    let ticket =
      position === 0 && options.first !== undefined ? options.first.ticket : acquire(call, target);
    // A shared store answers asynchronously; the in-memory one costs no extra tick.
    if (ticket instanceof Promise) ticket = await ticket;
    if (!ticket.available) {
      walked.cooling.push({ target, index, retryInMs: ticket.retryInMs });
      log.add({
        ...describeTarget(target, index, 0),
        decision: 'skipped',
        waitMs: 0,
        durationMs: 0,
        message: `cooling down after recent failures; next try in ${Math.ceil(ticket.retryInMs)} ms`,
      });
      continue;
    }
    walked.sent = true;
    const outcome: TargetOutcome<T> = await retryTarget({
      call,
      log,
      target,
      targetIndex: index,
      isLast: position === count - 1,
      targetsLeft: count - position,
      probe: ticket.probe,
      ...(position === 0 && options.first?.failure !== undefined
        ? { pending: options.first.failure }
        : {}),
    });
    if (outcome.ok) return outcome.served;
    walked.primaryError ??= outcome.error;
    walked.lastError = outcome.error;
    const errorClass = classifyError(outcome.error);
    if (outcome.stopsCall) {
      walked.stoppedOn = errorClass;
      break;
    }
    if (errorClass === 'context_length') noteRefusedWindow(walked, target);
    reportFallback({ call, from: target, position, error: outcome.error });
  }
  return tryCoolest({ call, log, walked });
}

/** Shows the move to the next target (if there is one) to `onFallback`. */
function reportFallback<T>(options: {
  call: Call<T>;
  from: ResolvedTarget;
  position: number;
  error: unknown;
}): void {
  const { call, position } = options;
  const { plan, order } = call;
  if (position + 1 >= plan.targets.length) return;
  const next = plan.targets[order === undefined ? position + 1 : (order[position + 1] as number)];
  if (next === undefined) return;
  runHook({
    hooks: call.hooks,
    name: 'onFallback',
    state: {
      model: plan.model,
      from: options.from.upstream.name,
      to: next.upstream.name,
      error: options.error,
      ...(call.context === undefined ? {} : { context: call.context }),
    },
  });
}

/**
 * The end of a walk without an answer. When every target was cooling down, rather than fail
 * without a request, the one that recovers soonest is tried; otherwise (or if it fails too) the
 * call fails with the whole log.
 */
async function tryCoolest<T>(options: {
  call: Call<T>;
  log: AttemptLog;
  walked: Walked;
}): Promise<Served<T>> {
  const { call, log, walked } = options;
  if (!walked.sent && walked.cooling.length > 0) {
    const soonest = walked.cooling.reduce((best, entry) =>
      entry.retryInMs < best.retryInMs ? entry : best,
    );
    const outcome = await retryTarget({
      call,
      log,
      target: soonest.target,
      targetIndex: soonest.index,
      isLast: true,
      targetsLeft: 1,
      probe: false,
    });
    if (outcome.ok) return outcome.served;
    walked.primaryError = outcome.error;
    walked.lastError = outcome.error;
  }
  const failed = new AllTargetsFailedError({
    model: call.plan.model,
    attempts: log.records,
    primaryError: walked.primaryError,
    lastError: walked.lastError,
    ...(walked.stoppedOn === undefined
      ? !walked.sent && walked.cooling.length === 0 && walked.tooSmall > 0
        ? { reason: 'context-length' as const }
        : {}
      : { reason: 'policy-stop' as const, stoppedOn: walked.stoppedOn }),
  });
  runHook({
    hooks: call.hooks,
    name: 'onFailure',
    state: {
      model: call.plan.model,
      error: failed,
      attempts: failed.attempts,
      ...(call.context === undefined ? {} : { context: call.context }),
    },
  });
  throw failed;
}

/** Logs a target the request cannot fit as skipped (nothing sent); false when it may fit. */
function skipTooSmall<T>(options: {
  call: Call<T>;
  log: AttemptLog;
  target: ResolvedTarget;
  index: number;
  walked: Walked;
}): boolean {
  const { target, walked } = options;
  const reason = sizeSkip(options.call, target, walked);
  if (reason === undefined) return false;
  walked.tooSmall += 1;
  options.log.add({
    ...describeTarget(target, options.index, 0),
    errorClass: 'context_length',
    decision: 'skipped',
    waitMs: 0,
    durationMs: 0,
    message: reason,
  });
  return true;
}

/** A context-length error from a declared window: no window as small can take the request. */
function noteRefusedWindow(walked: Walked, target: ResolvedTarget): void {
  const window = target.upstream.contextWindow;
  if (window !== undefined) walked.refusedWindow = Math.max(walked.refusedWindow ?? 0, window);
}

/**
 * Why a target cannot take this call's request (its window or output limit is too small, or a
 * context-length error already came from a window at least as large), or undefined to send it.
 * Targets whose window is not declared are always sent to.
 */
function sizeSkip<T>(call: Call<T>, target: ResolvedTarget, walked: Walked): string | undefined {
  const { refusedWindow } = walked;
  const { contextWindow } = target.upstream;
  if (
    refusedWindow !== undefined &&
    contextWindow !== undefined &&
    contextWindow <= refusedWindow
  ) {
    return `a ${refusedWindow}-token window already refused the request as too long; upstream "${target.upstream.name}" has a ${contextWindow}-token window (contextWindow)`;
  }
  return call.size === undefined ? undefined : sizeMismatch(target, call.size);
}

/** Asks health memory whether a target may be sent to now. */
export function acquire<T>(
  call: Call<T>,
  target: ResolvedTarget,
): HealthTicket | Promise<HealthTicket> {
  const { health, now } = call.runtime;
  if (health === undefined) return go;
  return health.acquire(target.upstream.name, now());
}

function isStop(error: RouterError): boolean {
  return (
    !(error instanceof AllTargetsFailedError) &&
    (error.code === 'ABORTED' ||
      error.code === 'DEADLINE_EXCEEDED' ||
      // A request that never left the process (see `retry-target.ts`).
      error.code === 'INVALID_REQUEST' ||
      error.code === 'ROUTER_CLOSED')
  );
}

/** The abort or deadline error, with the attempts made before it. */
function withAttempts(error: RouterError, attempts: readonly AttemptRecord[]): RouterError {
  return recordAttempts(error, attempts);
}
