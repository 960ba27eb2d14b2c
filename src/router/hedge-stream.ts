/**
 * Hedged first tokens (an alias's `hedge`), for streamed chat calls: the first attempt on the
 * first target runs as on the success path; when it has sent no content within `hedge.after`,
 * the next target's first attempt starts in parallel, on a controller of its own. The first of
 * the two to reach its commit point (the first content) serves; the other request is aborted
 * (its connection closed) and logged as `cancelled`. A failure of one before commit leaves the
 * other running; when both fail, the walk goes on from the target after them. A budget per alias
 * (at most `maxShare` of its last {@link budgetWindow} streamed calls hedged) keeps a slow
 * provider from doubling the traffic: a hedge over budget is not started.
 *
 * Entered only when the plan has a hedge (`runStream`): a call without one never comes here.
 */

import { formatDuration } from '../config/duration.ts';
import type { ErrorClass, HedgeRoute } from '../config/route-table.ts';
import { RouterError, recordAttempts } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import {
  AttemptLog,
  describeTarget,
  gatewayIdsOf,
  roundMs,
  type Served,
  statusOf,
} from './attempt-log.ts';
import type { Call, RouterRuntime } from './call.ts';
import { classifyError, describeFailure } from './classify-error.ts';
import type { HealthTicket } from './health-memory.ts';
import { sizeMismatch } from './request-size.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { healthClasses, reportHealth, startAttemptTimer, succeed } from './retry-target.ts';
import { runHook } from './run-hook.ts';
import type { CommittedAttempt, StreamOperation } from './send-request.ts';
import { hasSuccessHooks, reportFirstSuccess } from './start-call.ts';
import { acquire, walkTargets } from './walk-targets.ts';

/** The budget's window: an alias's last 100 streamed calls. */
export const budgetWindow = 100;

/**
 * An alias's hedge budget: at most `max(1, floor(maxShare × 100))` hedged calls among its last
 * 100 streamed calls (counted, not timed: no clock, and a quiet alias keeps its history).
 */
export class HedgeBudget {
  readonly #allowed: number;
  /** Streamed calls counted so far. */
  #calls = 0;
  /** The numbers of the hedged calls still in the window, oldest first. */
  readonly #hedged: number[] = [];

  constructor(maxShare: number) {
    this.#allowed = Math.max(1, Math.floor(maxShare * budgetWindow));
  }

  /** Counts a streamed call; returns its number, for {@link take}. */
  count(): number {
    this.#calls += 1;
    return this.#calls;
  }

  /** Whether call `number` may be hedged now; when it may, the hedge is counted. */
  take(number: number): boolean {
    const hedged = this.#hedged;
    const oldest = this.#calls - budgetWindow;
    while (hedged.length > 0 && (hedged[0] as number) <= oldest) hedged.shift();
    if (hedged.length >= this.#allowed) return false;
    hedged.push(number);
    return true;
  }
}

/** Budgets by router, then by alias (the compiled `hedge`, shared by an alias's `when` chains). */
const budgets = new WeakMap<RouterRuntime, WeakMap<HedgeRoute, HedgeBudget>>();

function budgetOf(runtime: RouterRuntime, hedge: HedgeRoute): HedgeBudget {
  let byAlias = budgets.get(runtime);
  if (byAlias === undefined) {
    byAlias = new WeakMap();
    budgets.set(runtime, byAlias);
  }
  let budget = byAlias.get(hedge);
  if (budget === undefined) {
    budget = new HedgeBudget(hedge.maxShare);
    byAlias.set(hedge, budget);
  }
  return budget;
}

/** Options of {@link runHedged}. */
export type RunHedgedOptions<C extends CommittedAttempt> = {
  call: Call<C>;
  operation: StreamOperation<C>;
  /** The first target, its index and its health ticket (available). */
  target: ResolvedTarget;
  index: number;
  ticket: HealthTicket;
};

/** How one attempt of a hedge ended. */
type Outcome<C> =
  | { readonly ok: true; readonly value: C }
  | { readonly ok: false; readonly error: unknown };

/** A failed attempt of a hedge, classified. */
type Failure<C> = {
  readonly attempt: Attempt<C>;
  readonly error: unknown;
  readonly errorClass: ErrorClass;
};

/** One attempt of a hedge. */
type Attempt<C> = {
  readonly target: ResolvedTarget;
  readonly index: number;
  readonly controller: AbortController;
  readonly started: number;
  readonly outcome: Promise<Outcome<C>>;
};

/**
 * Opens a hedged stream to its commit point (see the module's comment). Without a hedge started
 * (content came in time, the first attempt failed first, no second target may take the
 * request, or the budget is used up) it ends exactly as `runStream`'s success path does.
 */
export async function runHedged<C extends CommittedAttempt>(
  options: RunHedgedOptions<C>,
): Promise<Served<C>> {
  const { call, operation, target, index, ticket } = options;
  const hedge = call.plan.hedge as HedgeRoute;
  const budget = budgetOf(call.runtime, hedge);
  const number = budget.count();
  const started = call.signal.startedAt;
  const timer = startAttemptTimer(call, target, call.plan.targets.length);
  const first: Attempt<C> = {
    target,
    index,
    controller: call.signal.controller,
    started,
    outcome: settle(operation.open(call, target), timer),
  };
  let wait: ReturnType<typeof setTimeout> | undefined;
  const early = await Promise.race([
    first.outcome,
    new Promise<undefined>((resolve) => {
      wait = setTimeout(resolve, hedge.afterMs, undefined);
    }),
  ]);
  clearTimeout(wait);
  if (early === undefined) {
    const second = await startSecond({ call, operation, budget, number });
    if (second !== undefined) return race({ call, first, second, ticket, hedge });
  }
  const outcome = early ?? (await first.outcome);
  if (!outcome.ok) {
    return walkTargets({ call, first: { ticket, failure: { error: outcome.error, started } } });
  }
  const served = succeed({
    call,
    target,
    targetIndex: index,
    attempt: 1,
    value: outcome.value,
    response: outcome.value.request,
    started,
  });
  if (hasSuccessHooks(call)) await reportFirstSuccess(call, served);
  return served;
}

/** The attempt's outcome as data, its attempt timer cleared once it is known. */
function settle<C>(
  opened: Promise<C>,
  timer: ReturnType<typeof setTimeout> | undefined,
): Promise<Outcome<C>> {
  return opened.then(
    (value): Outcome<C> => {
      if (timer !== undefined) clearTimeout(timer);
      return { ok: true, value };
    },
    (error: unknown): Outcome<C> => {
      if (timer !== undefined) clearTimeout(timer);
      return { ok: false, error };
    },
  );
}

/**
 * Starts the second attempt on the next target in the call's order, on its own controller
 * (which a stop of the call aborts too), or returns undefined when it may not start: the call
 * is stopped, there is no second target, the request cannot fit it, it is cooling down (or its
 * health probe is due: a probe is not spent on a hedge), or the budget is used up.
 */
async function startSecond<C extends CommittedAttempt>(options: {
  call: Call<C>;
  operation: StreamOperation<C>;
  budget: HedgeBudget;
  number: number;
}): Promise<Attempt<C> | undefined> {
  const { call } = options;
  const { plan, order, signal } = call;
  const index = order === undefined ? 1 : order[1];
  const target = index === undefined ? undefined : plan.targets[index];
  if (index === undefined || target === undefined || signal.stopped !== undefined) return undefined;
  if (call.size !== undefined && sizeMismatch(target, call.size) !== undefined) return undefined;
  let ticket = acquire(call, target);
  if (ticket instanceof Promise) ticket = await ticket;
  if (!ticket.available) return undefined;
  if (ticket.probe) {
    call.runtime.health?.releaseProbe(target.upstream.name);
    return undefined;
  }
  if (signal.stopped !== undefined || !options.budget.take(options.number)) return undefined;
  const controller = new AbortController();
  signal.hedge = controller;
  let opened: Promise<C>;
  try {
    opened = options.operation.open(call, target, controller);
  } catch (error) {
    opened = Promise.reject(error);
  }
  return {
    target,
    index,
    controller,
    started: performance.now(),
    outcome: settle(opened, undefined),
  };
}

/** The two attempts of a started hedge, to the first commit, or on to the rest of the chain. */
async function race<C extends CommittedAttempt>(options: {
  call: Call<C>;
  first: Attempt<C>;
  second: Attempt<C>;
  ticket: HealthTicket;
  hedge: HedgeRoute;
}): Promise<Served<C>> {
  const { call, first, second } = options;
  const log = new AttemptLog({ model: call.plan.model, hooks: call.hooks, context: call.context });
  const tag = (attempt: Attempt<C>) => attempt.outcome.then((outcome) => ({ attempt, outcome }));
  let settled = await Promise.race([tag(first), tag(second)]);
  let other: Attempt<C> | undefined = settled.attempt === first ? second : first;
  if (!settled.outcome.ok) {
    const failures = [await failed({ call, log, ...settled, error: settled.outcome.error, other })];
    settled = await tag(other);
    other = undefined;
    if (!settled.outcome.ok) {
      failures.push(await failed({ call, log, ...settled, error: settled.outcome.error, other }));
      return resume({ call, log, failures, first });
    }
  }
  const winner = settled.attempt;
  const value = settled.outcome.value;
  if (other !== undefined) cancel({ ...options, log, loser: other, winner });
  // The winner's controller is the call's from here: the caller's stream, its abort, close().
  call.signal.hedge = undefined;
  if (winner !== first) call.signal.controller = winner.controller;
  const served = succeed({
    call,
    target: winner.target,
    targetIndex: winner.index,
    attempt: 1,
    value,
    response: value.request,
    started: winner.started,
    log,
    hedged: true,
  });
  if (hasSuccessHooks(call)) await reportFirstSuccess(call, served);
  return served;
}

/** Aborts the attempt that lost (its connection closed) and logs it as cancelled. */
function cancel<C>(options: {
  call: Call<C>;
  log: AttemptLog;
  loser: Attempt<C>;
  winner: Attempt<C>;
  first: Attempt<C>;
  ticket: HealthTicket;
  hedge: HedgeRoute;
}): void {
  const { call, loser, winner } = options;
  const message = `cancelled: ${winner.target.upstream.name} (target ${winner.index + 1}) sent content first, this request was aborted (hedge after ${formatDuration(options.hedge.afterMs)})`;
  loser.controller.abort(new RouterError(message, { code: 'ABORTED' }));
  // The first target's health probe, if this call was one, proved nothing either way.
  if (options.ticket.available && options.ticket.probe && loser === options.first)
    call.runtime.health?.releaseProbe(loser.target.upstream.name);
  options.log.add({
    ...describeTarget(loser.target, loser.index, 1),
    decision: 'cancelled',
    waitMs: 0,
    durationMs: roundMs(performance.now() - loser.started),
    hedged: true,
    message,
  });
}

/**
 * Looks at a failed attempt of the hedge: a stopped call waits for the other attempt (aborted
 * by the same stop), logs both and throws the stop; otherwise the failure is classified, shown
 * to health memory and logged (`fallback`), and the other attempt goes on.
 */
async function failed<C>(options: {
  call: Call<C>;
  log: AttemptLog;
  attempt: Attempt<C>;
  error: unknown;
  other: Attempt<C> | undefined;
}): Promise<Failure<C>> {
  const { call, log, attempt, other } = options;
  const durationMs = roundMs(performance.now() - attempt.started);
  const stopped = call.signal.stopped;
  if (stopped !== undefined) {
    logStopped(log, attempt, stopped, durationMs);
    if (other !== undefined) {
      await other.outcome;
      logStopped(log, other, stopped, roundMs(performance.now() - other.started));
    }
    const error = recordAttempts(stopped, log.records);
    runHook({
      hooks: call.hooks,
      name: 'onFailure',
      state: {
        model: call.plan.model,
        error,
        attempts: log.snapshot(),
        ...(call.context === undefined ? {} : { context: call.context }),
      },
    });
    throw error;
  }
  // An attempt-level limit (a first-token or idle limit, the hand-over share) says more than
  // the error the SDK saw when it cut the request.
  const limit = attempt.controller.signal.reason;
  const cause = redactorFor(attempt.target.setup.secrets).inPlace(
    limit instanceof Error && !(limit instanceof RouterError) ? limit : options.error,
  );
  const errorClass = classifyError(cause);
  if (healthClasses.has(errorClass)) reportHealth({ call, target: attempt.target, cause });
  log.add(
    {
      ...describeTarget(attempt.target, attempt.index, 1),
      ...statusOf(cause),
      errorClass,
      decision: 'fallback',
      waitMs: 0,
      durationMs,
      message: describeFailure(cause),
      ...gatewayIdsOf(cause),
      hedged: true,
    },
    cause,
  );
  return { attempt, error: cause, errorClass };
}

function logStopped<C>(
  log: AttemptLog,
  attempt: Attempt<C>,
  stopped: RouterError,
  durationMs: number,
): void {
  const deadline = stopped.code === 'DEADLINE_EXCEEDED';
  log.add(
    {
      ...describeTarget(attempt.target, attempt.index, 1),
      ...(deadline ? { errorClass: 'timeout' as const } : {}),
      decision: 'fail',
      waitMs: 0,
      durationMs,
      hedged: true,
      message: deadline ? 'the call deadline passed' : 'aborted by the caller',
    },
    stopped,
  );
}

/** Both attempts failed: the walk goes on from the target after them, as it would have. */
function resume<C>(options: {
  call: Call<C>;
  log: AttemptLog;
  failures: Failure<C>[];
  first: Attempt<C>;
}): Promise<Served<C>> {
  const { call, failures } = options;
  call.signal.hedge = undefined;
  // The first attempt's controller may have been aborted (a first-token limit): the next
  // attempt gets a fresh one, unless the call was stopped (the walk then throws the stop).
  call.signal.renew();
  const stop = failures.find((failure) => call.plan.policy[failure.errorClass] === 'fail');
  const primary = failures.find((failure) => failure.attempt === options.first);
  return walkTargets({
    call,
    resume: {
      log: options.log,
      position: 2,
      primaryError: primary?.error,
      lastError: failures[1]?.error,
      stoppedOn: stop?.errorClass,
    },
  });
}
