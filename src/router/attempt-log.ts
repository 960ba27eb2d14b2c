/**
 * The attempt log: one frozen record per request sent (or target skipped), in order, each shown
 * to the `onAttempt` hook as it is written. A call that succeeds at its first try writes no log
 * at all: its {@link Served} result builds the one record and the route only when someone asks
 * (`withRoute()`, `withResponse()`, a hook, a stream error), from what it kept (the target, the
 * response, the duration).
 */
import type { AttemptRecord } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { costOf } from './call-cost.ts';
import { usageOf } from './call-observation.ts';
import type { ResolvedPlan, ResolvedTarget } from './resolve-plan.ts';
import { runHook } from './run-hook.ts';
import type { CallContext, RouteInfo, RouterHooks, TokenUsage } from './types.ts';

/** The records of one call, written as the walker goes. */
export class AttemptLog {
  readonly records: AttemptRecord[] = [];
  readonly #model: string;
  readonly #hooks: RouterHooks;
  readonly #context: CallContext | undefined;

  constructor(options: { model: string; hooks: RouterHooks; context: CallContext | undefined }) {
    this.#model = options.model;
    this.#hooks = options.hooks;
    this.#context = options.context;
  }

  /** Appends a record (frozen, gateway ids too) and shows it to `onAttempt`. */
  add(entry: AttemptRecord, error?: unknown): AttemptRecord {
    const context = this.#context;
    const frozen = Object.freeze({
      ...entry,
      ...(entry.gatewayIds === undefined ? {} : { gatewayIds: Object.freeze(entry.gatewayIds) }),
      ...(context === undefined ? {} : { context }),
    });
    this.records.push(frozen);
    runHook({
      hooks: this.#hooks,
      name: 'onAttempt',
      state: {
        model: this.#model,
        attempt: frozen,
        ...(error === undefined ? {} : { error }),
        ...(context === undefined ? {} : { context }),
      },
    });
    return frozen;
  }

  /** A frozen copy of the records so far. */
  snapshot(): readonly AttemptRecord[] {
    return Object.freeze([...this.records]);
  }
}

/** Where a record stands: the target, its place in the chain, and the try on it. */
export function describeTarget(target: ResolvedTarget, targetIndex: number, attempt: number) {
  return {
    upstream: target.upstream.name,
    gateway: target.gateway.name,
    model: target.upstream.model,
    targetIndex,
    attempt,
  };
}

/** Options of {@link Served}. */
export type ServedOptions<T> = {
  /** The call's parts a result keeps. */
  call: {
    readonly plan: ResolvedPlan;
    /** The caller's context. */
    readonly context: CallContext | undefined;
    /**
     * Where usage comes from: the answer's `usage` (plain calls), or the stream, which sets
     * {@link Served.usage} when a chunk carries it.
     */
    readonly streamed: boolean;
  };
  value: T;
  /**
   * The serving response, or, on a plain call's success path, where to get it when asked (the
   * SDK's promise of the request): most calls never need it.
   */
  response: Response | { asResponse(): Promise<Response> };
  target: ResolvedTarget;
  targetIndex: number;
  /** 1-based try on the serving target. */
  attempt: number;
  /** `performance.now()` when the successful attempt was sent. */
  started: number;
  /** The walker's log (the records before the successful one); none on the success path. */
  log?: AttemptLog | undefined;
  /** The successful attempt was one of a hedge's two (its record says `hedged: true`). */
  hedged?: true;
};

/** A successful call: the value, the response, and the route, built on first request. */
export class Served<T> {
  readonly value: T;
  readonly target: ResolvedTarget;
  #response: Response | undefined;
  readonly #request: { asResponse(): Promise<Response> } | undefined;
  // What the record and the route are built from, kept as fields of this one object (no copy
  // of the options): a call that succeeds allocates nothing else of its own.
  readonly #plan: ResolvedPlan;
  readonly #targetIndex: number;
  readonly #attempt: number;
  readonly #durationMs: number;
  readonly #earlier: readonly AttemptRecord[] | undefined;
  readonly #context: CallContext | undefined;
  readonly #streamed: boolean;
  readonly #hedged: true | undefined;
  #record: AttemptRecord | undefined;
  #route: RouteInfo | undefined;
  /** A stream's token usage, once a chunk reported it. */
  usage: TokenUsage | undefined;

  /** Reads `options` and keeps nothing of it but its fields (the caller's object is not copied). */
  constructor(options: ServedOptions<T>) {
    this.value = options.value;
    const { response, call } = options;
    if (response instanceof Response) this.#response = response;
    else this.#request = response;
    this.target = options.target;
    this.#plan = call.plan;
    this.#targetIndex = options.targetIndex;
    this.#attempt = options.attempt;
    this.#durationMs = roundMs(performance.now() - options.started);
    this.#earlier = options.log?.snapshot();
    this.#context = call.context;
    this.#streamed = call.streamed;
    this.#hedged = options.hedged;
  }

  /** The serving response; on the success path, only once {@link Served.settle} has resolved. */
  get response(): Response {
    if (this.#response === undefined) throw new Error('internal: the response was not settled');
    return this.#response;
  }

  /** Makes the response (and so the record and the route) available. */
  async settle(): Promise<void> {
    if (this.#response === undefined && this.#request !== undefined) {
      this.#response = await this.#request.asResponse();
    }
  }

  /**
   * The successful attempt's record (gateway ids read from the response and redacted). Needs the
   * response: on the success path, after {@link Served.settle}.
   */
  get record(): AttemptRecord {
    if (this.#record === undefined) {
      const { target, response } = this;
      const context = this.#context;
      this.#record = Object.freeze({
        ...describeTarget(target, this.#targetIndex, this.#attempt),
        status: response.status,
        decision: 'success' as const,
        waitMs: 0,
        durationMs: this.#durationMs,
        gatewayIds: Object.freeze(
          redactorFor(target.setup.secrets).inPlace(gatewayIds(response.headers)),
        ),
        ...(this.#hedged === undefined ? {} : { hedged: this.#hedged }),
        ...(context === undefined ? {} : { context }),
      });
    }
    return this.#record;
  }

  /** Which upstream served the call, and every attempt (the successful one last). */
  get route(): RouteInfo {
    if (this.#route === undefined) {
      const { target } = this;
      const plan = this.#plan;
      const earlier = this.#earlier;
      const context = this.#context;
      const record = this.record;
      const route = {
        model: plan.model,
        upstream: target.upstream.name,
        gateway: target.gateway.name,
        upstreamModel: target.upstream.model,
        attempts: Object.freeze(earlier === undefined ? [record] : [...earlier, record]),
        gatewayIds: record.gatewayIds ?? Object.freeze({}),
        ...(context === undefined ? {} : { context }),
      };
      const { price } = target.upstream;
      if (this.#streamed) {
        Object.defineProperty(route, 'usage', { enumerable: true, get: () => this.usage });
        if (price !== undefined)
          Object.defineProperty(route, 'cost', {
            enumerable: true,
            get: () => costOf(this.usage, price),
          });
      } else {
        const usage = usageOf((this.value as { usage?: unknown } | null)?.usage);
        if (usage !== undefined) Object.assign(route, { usage });
        const cost = costOf(usage, price);
        if (cost !== undefined) Object.assign(route, { cost });
      }
      this.#route = Object.freeze(route);
    }
    return this.#route;
  }
}

/** Shows a success to the hooks that want it (`onAttempt` with its record, then `onSuccess`). */
export function reportSuccess(options: {
  hooks: RouterHooks;
  served: Served<unknown>;
  model: string;
  context: CallContext | undefined;
}): void {
  const { hooks, served, model, context } = options;
  const withContext = context === undefined ? {} : { context };
  if (hooks.onAttempt !== undefined) {
    runHook({ hooks, name: 'onAttempt', state: { model, attempt: served.record, ...withContext } });
  }
  if (hooks.onSuccess !== undefined) {
    runHook({ hooks, name: 'onSuccess', state: { model, route: served.route, ...withContext } });
  }
}

/** The status of a failed attempt's error, when it has one. */
export function statusOf(error: unknown): { status?: number } {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? { status } : {};
}

/** Gateway ids carried by a failed attempt's error (its response headers). */
export function gatewayIdsOf(error: unknown): { gatewayIds?: Record<string, string> } {
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

/** Milliseconds rounded to 0.1, as records hold them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
