/**
 * A router's calls from the caller's side: starting one (its plan, its signal, its order of
 * targets) and running a plain call to its value (a stream runs to its commit point in
 * `run-stream.ts`). Where a result came from is kept for `withRoute()` and `withResponse()`, on
 * the promise the caller holds; the result itself is the SDK's value, untouched.
 */
import type { ModelKind } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import type { Served } from './attempt-log.ts';
import type { Call, CallParams, PlainOperation, RouterRuntime, SdkRequest, Send } from './call.ts';
import { describeAnswer, tracedHooks } from './call-observation.ts';
import type { CallRegistry } from './call-registry.ts';
import { CallSignal } from './call-signal.ts';
import { checkAnswer, isAnswer } from './check-answer.ts';
import { firstIndex } from './fast-path.ts';
import { estimateRequestSize } from './request-size.ts';
import { choosePlan, orderTargets, type PlanResolver } from './resolve-plan.ts';
import { assertServesResponses } from './responses-support.ts';
import { type PendingFailure, reportServed, startAttemptTimer, succeed } from './retry-target.ts';
import type { RouterTracing } from './tracing.ts';
import type { RouterRequestOptions } from './types.ts';
import { acquire, walkTargets } from './walk-targets.ts';

/** What a router's calls share; `resolver` and `closed` change over the router's life. */
export type RouterState = {
  resolver: PlanResolver;
  closed: boolean;
  readonly runtime: RouterRuntime;
  /** The tracer, if any (`RouterOptions.tracing`). */
  readonly tracing: RouterTracing | undefined;
  /** Calls in flight, so `close()` (and the router's own signal) can stop them. */
  readonly active: CallRegistry;
  /** The router's own signal (`RouterOptions.signal`). */
  readonly signal: AbortSignal | undefined;
};

/** What starts a call, whatever it sends. */
export type CallStart = {
  state: RouterState;
  /** The call's result, left here for `withRoute()` and `withResponse()` (see `toRouterPromise`). */
  served: Served<unknown> | undefined;
  params: CallParams;
  requestOptions: RouterRequestOptions | undefined;
  operation: 'chat' | 'embeddings' | 'responses';
};

/** Options of {@link runPlain}. */
export type PlainRunOptions<T> = CallStart & { plain: PlainOperation<T> };

const callNames = {
  chat: 'router.chat.completions.create',
  embeddings: 'router.embeddings.create',
  responses: 'router.responses.create',
} as const;

/** Starts a call: its plan and its signal. Throws when the router is closed or the name unknown. */
export function startCall<T>(options: CallStart, send: Send<T>): Call<T> {
  const { state, params, requestOptions, operation } = options;
  if (state.closed) throw new RouterError('the router is closed', { code: 'ROUTER_CLOSED' });
  const context = requestOptions?.context;
  const resolved = state.resolver.resolve(params.model);
  // An alias with `when` entries runs the chain its first matching entry names.
  const plan = resolved.conditions === undefined ? resolved : choosePlan(resolved, context);
  // The Responses API serves chat models.
  const kind: ModelKind = operation === 'embeddings' ? 'embeddings' : 'chat';
  if (plan.serves !== undefined && plan.serves !== kind) {
    throw new RouterError(
      `alias "${params.model}" serves ${plan.serves}, so ${callNames[operation]} cannot use it: call ${callNames[plan.serves]}, or name an alias of ${kind} models`,
      { code: 'INVALID_REQUEST' },
    );
  }
  if (operation === 'responses') assertServesResponses(plan);
  const signal = new CallSignal(
    plan.model,
    requestOptions?.timeout ?? plan.timeouts.totalMs,
    requestOptions?.signal,
    state.active,
  );
  if (state.signal?.aborted === true) signal.abortWith(state.signal.reason);
  // Load balancing draws this call's order; an ordered plan walks its targets as listed.
  const order =
    plan.weights === undefined ? undefined : orderTargets(plan.weights, state.runtime.random);
  const { runtime } = state;
  const streamed = (params as { stream?: unknown }).stream === true;
  // Tracing costs nothing unless a tracer is given and records this call.
  const trace = state.tracing?.startCall({
    // A Responses call is traced as a chat operation, as the GenAI conventions name it.
    operation: kind,
    model: params.model,
    stream: streamed,
    params: params as Record<string, unknown>,
    ...(context === undefined ? {} : { context }),
  });
  return {
    plan,
    params,
    headers: requestOptions?.headers,
    signal,
    order,
    send,
    runtime,
    hooks: trace === undefined ? runtime.hooks : tracedHooks({ hooks: runtime.hooks, trace, plan }),
    context,
    trace,
    streamed,
    // Only a plan that declares a window pays for the estimate.
    size:
      plan.sized === undefined ? undefined : estimateRequestSize(params as Record<string, unknown>),
  };
}

/**
 * A plain call: one request per attempt, its parsed body as the value. The first attempt on the
 * first target is sent from here, in this one async function (the success path: no other frame,
 * no attempt log, no route); a failure, or a first target that is cooling down, hands what was
 * done to the walker, which carries on as if it had sent that attempt itself.
 */
export async function runPlain<T extends object>(options: PlainRunOptions<T>): Promise<T> {
  const { plain } = options;
  const call = startCall(options, plain.send);
  let served: Served<T>;
  try {
    const index = firstIndex(call);
    const target = call.plan.targets[index];
    let ticket = target === undefined ? undefined : acquire(call, target);
    if (ticket instanceof Promise) ticket = await ticket;
    if (target === undefined || ticket === undefined) {
      served = await walkTargets({ call });
    } else if (!ticket.available) {
      served = await walkTargets({ call, first: { ticket } });
    } else {
      // The call started a few microseconds ago: its clock reading serves the attempt too.
      const started = call.signal.startedAt;
      const timer = startAttemptTimer(call, target, call.plan.targets.length);
      let failure: PendingFailure | undefined;
      let value: T | undefined;
      let request: SdkRequest<T> | undefined;
      try {
        request = plain.start(call, target, call.signal.controller);
        // Through the SDK's then(): a native promise to await, not a thenable (one step fewer).
        value = await request.then();
        if (!isAnswer(value, plain.field)) {
          const response = await request.asResponse();
          throw checkAnswer({ value, field: plain.field, response });
        }
      } catch (error) {
        failure = { error, started };
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      served =
        failure === undefined
          ? succeed({
              call,
              target,
              targetIndex: index,
              attempt: 1,
              value: value as T,
              // Read from the SDK's promise only when someone asks (withRoute(), a hook, a trace).
              response: request as SdkRequest<T>,
              started,
            })
          : await walkTargets({ call, first: { ticket, failure } });
      if (failure === undefined && hasSuccessHooks(call)) await reportFirstSuccess(call, served);
    }
  } catch (error) {
    call.trace?.end({ error });
    throw error;
  } finally {
    call.signal.dispose();
  }
  options.served = served;
  if (call.trace !== undefined) {
    await served.settle();
    call.trace.end({ route: served.route, ...describeAnswer(served.value) });
  }
  return served.value;
}

/** Whether a hook wants to see a success (so the success path reads its response). */
export function hasSuccessHooks<T>(call: Call<T>): boolean {
  return call.hooks.onAttempt !== undefined || call.hooks.onSuccess !== undefined;
}

/** Shows a first-try success to the hooks, once its response is read. */
export async function reportFirstSuccess<T>(call: Call<T>, served: Served<T>): Promise<void> {
  await served.settle();
  reportServed(call, served);
}
