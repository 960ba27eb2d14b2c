/**
 * The idle limit of a stream: a wait for the upstream (headers, the next chunk or event) that
 * lasts too long aborts the attempt, and any body activity seen below the SDK (bytes, SSE comment
 * lines included) starts the wait again.
 */
import { PreCommitStreamError } from './attempt-errors.ts';

/**
 * Where body activity seen below the SDK (bytes, SSE comment lines included) is reported: the
 * idle watchdog of whoever reads the stream now.
 */
export type ActivityRelay = { onActivity: () => void };

/**
 * The idle limit: aborts the attempt when a wait between `begin` and `end` lasts `idleMs`. Time
 * outside one (the caller busy with a chunk) does not count. One timer, re-armed only when
 * it fires early, rather than a new timer for every chunk; the times are fields of one object
 * (no closure per wait, no boxed number per chunk).
 */
export class IdleWatch {
  readonly #controller: AbortController;
  readonly #idleMs: number;
  readonly #what: string;
  /** `performance.now()` when the wait in progress began; -1 when none is. */
  #waitingSince = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(controller: AbortController, idleMs: number, what: string) {
    this.#controller = controller;
    this.#idleMs = idleMs;
    this.#what = what;
    this.#timer = setTimeout(checkIdle, idleMs, this);
  }

  /** A wait for the upstream starts (headers, or the next chunk). */
  begin(): void {
    this.#waitingSince = performance.now();
  }

  /** The wait ended: time until the next `begin` is the caller's, not the upstream's. */
  end(): void {
    this.#waitingSince = -1;
  }

  /** The upstream sent something (bytes below the SDK): a wait in progress starts again. */
  readonly touch = (): void => {
    if (this.#waitingSince !== -1) this.#waitingSince = performance.now();
  };

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The timer fired: abort when the wait has lasted the limit, or wait out the rest. */
  check(): void {
    if (this.#timer === undefined) return;
    const quiet = this.#waitingSince === -1 ? 0 : performance.now() - this.#waitingSince;
    if (this.#waitingSince !== -1 && quiet >= this.#idleMs) {
      this.#timer = undefined;
      this.#controller.abort(
        new PreCommitStreamError(`no ${this.#what} for ${this.#idleMs} ms`, {
          errorClass: 'timeout',
        }),
      );
      return;
    }
    this.#timer = setTimeout(checkIdle, this.#idleMs - quiet, this);
  }
}

function checkIdle(watch: IdleWatch): void {
  watch.check();
}

/** The idle limit of one wait-and-read loop (see {@link IdleWatch}). */
export function watchIdle(options: {
  controller: AbortController;
  idleMs: number;
  what: string;
}): IdleWatch {
  return new IdleWatch(options.controller, options.idleMs, options.what);
}
