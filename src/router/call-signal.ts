/**
 * The call's signal: one controller that the deadline, the caller's `signal` and the router's
 * `close()` abort, each with a `RouterError` as the reason (`DEADLINE_EXCEEDED`, `ABORTED`,
 * `ROUTER_CLOSED`). Attempt-level limits (an attempt's own time limit, a stream's first-token
 * and idle limits) abort the same controller with a reason of their own; the walker then
 * {@link CallSignal.renew renews} it for the next attempt, so no attempt needs a controller, a
 * timer or a listener of its own.
 *
 * The signal never goes to the `openai` SDK as a per-request `signal` (the SDK would compose it
 * with its own through `AbortSignal.any` on every request, the single largest per-call cost).
 * It travels in `fetchOptions` under {@link callSignalKey}, and the router's `fetch` hands it
 * to the real `fetch`, which then stops the request, the headers and the body alike.
 */
import { RouterError } from '../errors.ts';
import type { CallRegistry, Registered } from './call-registry.ts';

/** The `fetchOptions` key under which a request carries its call's signal to the router's fetch. */
export const callSignalKey: unique symbol = Symbol('switchyard.signal');

/**
 * The `fetchOptions` key under which a request carries its call, so the router's fetch can mark
 * the attempt as sent ({@link CallSignal.sent}).
 */
export const callKey: unique symbol = Symbol('switchyard.call');

/** What a {@link CallSignal} is made from: its constructor's arguments, in this order. */
export type CallSignalOptions = {
  /** The model asked for, for messages. */
  model: string;
  /** The call's deadline, in ms from now. */
  totalMs: number;
  /** The caller's signal, if any. */
  caller?: AbortSignal | null | undefined;
  /**
   * Calls in flight, for `close()` and the deadline; the signal adds itself and removes itself
   * on dispose.
   */
  registry: CallRegistry;
};

/** One call's controller, deadline and links. */
export class CallSignal implements Registered {
  /** The controller of the attempt in progress (replaced by {@link renew}). */
  controller = new AbortController();
  /** `performance.now()` when the call started (the success path's attempt starts with it). */
  readonly startedAt: number;
  /** `performance.now()` at which the deadline passes. */
  readonly deadline: number;
  readonly totalMs: number;
  readonly model: string;
  /** When the registry stops the call: the deadline, until the deadline ends. */
  expiresAt: number;
  /** Links in the registry (see `call-registry.ts`). */
  previous: Registered | undefined = undefined;
  next: Registered | undefined = undefined;
  list: Registered['list'] = undefined;
  #caller: AbortSignal | undefined;
  #registry: CallRegistry | undefined;
  /**
   * Whether the current attempt's request reached `fetch`. The router's fetch sets it; each
   * attempt starts with it false. An attempt that failed with it still false never left the
   * process (the SDK refused the body, a parameter was refused locally): the caller's error.
   */
  sent = false;
  /**
   * The current attempt's hand-over timer (its share of the deadline; see `startAttemptTimer`),
   * while one runs: a stream's response headers end it, since the upstream is then alive.
   */
  handOverTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /**
   * A hedged stream's second attempt's controller while both attempts run (see
   * `hedge-stream.ts`): a stop of the call aborts it too.
   */
  hedge: AbortController | undefined = undefined;
  /** Set once the call has been stopped (deadline, caller, close): no renewal after that. */
  #stopped: RouterError | undefined;

  /** Positional, not an options object: one object fewer on every call. */
  constructor(
    model: CallSignalOptions['model'],
    totalMs: CallSignalOptions['totalMs'],
    caller: CallSignalOptions['caller'],
    registry: CallSignalOptions['registry'],
  ) {
    this.model = model;
    this.totalMs = totalMs;
    this.startedAt = performance.now();
    this.deadline = this.startedAt + totalMs;
    this.expiresAt = this.deadline;
    this.#registry = registry;
    if (caller !== undefined && caller !== null) {
      if (caller.aborted) {
        this.stop(abortedError(this.model, caller.reason));
      } else {
        this.#caller = caller;
        // The object is its own listener (`handleEvent`): no closure per call.
        caller.addEventListener('abort', this, { once: true });
      }
    }
    // The registry's one timer stops the call at its deadline (no timer per call).
    registry.add(this);
  }

  /** The current attempt's signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the call was stopped (deadline, caller, close), or undefined while it may go on. */
  get stopped(): RouterError | undefined {
    return this.#stopped;
  }

  /** Milliseconds left before the deadline. */
  remainingMs(now: number = performance.now()): number {
    return this.deadline - now;
  }

  /** Stops the call: aborts the attempt in progress with `reason`; later attempts see it too. */
  stop(reason: RouterError): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = reason;
    this.controller.abort(reason);
    this.hedge?.abort(reason);
  }

  /**
   * Stops the call from outside: the router was closed (`reason` is its `ROUTER_CLOSED` error)
   * or the router's own signal fired (`reason` is that signal's reason).
   */
  abortWith(reason: unknown): void {
    this.stop(abortedError(this.model, reason));
  }

  /**
   * A fresh controller for the next attempt when an attempt-level limit aborted the current
   * one. Returns false when the call itself was stopped.
   */
  renew(): boolean {
    if (this.#stopped !== undefined) return false;
    if (this.controller.signal.aborted) this.controller = new AbortController();
    return true;
  }

  /** The upstream answered (a stream's response headers): the hand-over timer is not needed. */
  clearHandOver(): void {
    if (this.handOverTimer === undefined) return;
    clearTimeout(this.handOverTimer);
    this.handOverTimer = undefined;
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.stop(abortedError(this.model, this.#caller?.reason));
  }

  /** The deadline passed (the registry's timer). */
  expire(): void {
    this.stop(
      new RouterError(`${this.model}: deadline of ${this.totalMs} ms exceeded`, {
        code: 'DEADLINE_EXCEEDED',
      }),
    );
  }

  /** Ends the deadline (a stream that reached its first content keeps its links, not its deadline). */
  endDeadline(): void {
    this.#registry?.endDeadline(this);
  }

  /** Releases the caller's listener and the registration (and so the deadline). Idempotent. */
  dispose(): void {
    if (this.#caller !== undefined) {
      this.#caller.removeEventListener('abort', this);
      this.#caller = undefined;
    }
    if (this.#registry !== undefined) {
      this.#registry.delete(this);
      this.#registry = undefined;
    }
  }
}

/** The error a call ends with when the caller (or the router's signal) aborts it. */
export function abortedError(model: string, reason: unknown): RouterError {
  if (reason instanceof RouterError && reason.code === 'ROUTER_CLOSED') {
    return new RouterError(`${model}: the router was closed`, {
      code: 'ROUTER_CLOSED',
      cause: reason,
    });
  }
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}
