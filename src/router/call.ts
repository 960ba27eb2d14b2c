/**
 * What one call carries through the router: its plan, the caller's params and headers, its
 * signal, the operation that sends one request, and the router's shared parts (hooks, health,
 * clocks). Built once per call; the success path allocates nothing else of its own but the
 * {@link Served} result.
 */

import type { CallSignal } from './call-signal.ts';
import type { HealthStore } from './health-memory.ts';
import type { RequestSize } from './request-size.ts';
import type { ResolvedPlan, ResolvedTarget } from './resolve-plan.ts';
import type { CallTrace } from './tracing.ts';
import type { CallContext, RouterHooks, RouterRequestOptions } from './types.ts';

/** What one request returned: the value handed to the caller, and the serving response. */
export type Sent<T> = { readonly value: T; readonly response: Response };

/**
 * Sends one request of a call to a target, aborted by `controller` (the call's current one).
 * Throws when the attempt fails; a 200 that is not an answer is a failure too.
 */
export type Send<T> = (
  call: Call<T>,
  target: ResolvedTarget,
  controller: AbortController,
) => Promise<Sent<T>>;

/** What a real answer of a plain operation holds (see `checkAnswer`). */
export type AnswerField = 'choices' | 'data' | 'output';

/** The SDK's promise of one plain request: its parsed value, and the response behind it. */
export type SdkRequest<T> = PromiseLike<T> & { asResponse(): Promise<Response> };

/**
 * A plain operation (chat completion, embeddings, response): how to start one request on a
 * target, what a real answer holds, and the same as one {@link Send} for the walker. The success
 * path starts the request itself, so a call that succeeds first time runs in one async function.
 */
export type PlainOperation<T> = {
  /** Starts one request through the SDK, aborted by `controller`. */
  readonly start: (
    call: Call<T>,
    target: ResolvedTarget,
    controller: AbortController,
  ) => SdkRequest<T>;
  readonly field: AnswerField;
  readonly send: Send<T>;
};

/** The request body as the caller wrote it; `model` is an alias or `<gateway>:<model>`. */
export type CallParams = { readonly model: string };

/** The router's parts every call shares. */
export type RouterRuntime = {
  /** The router's hooks (a call with a trace sees them wrapped; see {@link Call.hooks}). */
  readonly hooks: RouterHooks;
  /** Health memory; undefined turns it off. */
  readonly health: HealthStore | undefined;
  /** Wall clock in ms (Retry-After dates, health). */
  readonly now: () => number;
  /** Random source in [0, 1) for jitter. */
  readonly random: () => number;
};

/** One call. */
export type Call<T> = {
  readonly plan: ResolvedPlan;
  /** The request body as the caller wrote it (`model` is replaced per target). */
  readonly params: CallParams;
  /** The caller's per-request headers. */
  readonly headers: RouterRequestOptions['headers'];
  readonly signal: CallSignal;
  /**
   * Load balancing: this call's order of target indexes, drawn once when it starts; undefined
   * walks the targets as listed.
   */
  readonly order: readonly number[] | undefined;
  readonly send: Send<T>;
  readonly runtime: RouterRuntime;
  /** The hooks this call reports to (the router's, reporting to the trace too when traced). */
  readonly hooks: RouterHooks;
  /** The caller's context (`RouterRequestOptions.context`), in every record, state and route. */
  readonly context: CallContext | undefined;
  /** The call's trace, when a tracer records it. */
  readonly trace: CallTrace | undefined;
  /** A streamed call (its usage comes with its last chunks). */
  readonly streamed: boolean;
  /**
   * The request's estimated size, when some target of the plan declares a context window or an
   * output limit (`plan.sized`); undefined otherwise, and no target is checked.
   */
  readonly size: RequestSize | undefined;
};
