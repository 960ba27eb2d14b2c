/**
 * The idle limit of a stream: a wait for the upstream (headers, the next chunk or event) that
 * lasts too long aborts the attempt, and any body activity seen below the SDK (bytes, SSE comment
 * lines included) starts the wait again.
 */
import { PreCommitStreamError } from './attempt-errors.ts';

/**
 * The idle limit: aborts the attempt when a wait between `begin` and `end` lasts `idleMs`. Time
 * outside one (the caller busy with a chunk) does not count. One timer, armed by the first wait
 * and re-armed only when it fires early, rather than a new timer for every chunk; when it fires
 * with no wait in progress it lapses, and the next wait arms it again (a stream nobody reads
 * keeps no timer). The times are fields of one object: no closure per wait, no boxed number
 * per chunk. One watch serves a stream from its request to its end.
 */
export class IdleWatch {
  readonly #controller: AbortController;
  readonly #idleMs: number;
  /**
   * What the upstream failed to send, for the message: `data` before the first content, then
   * `chunk` or `event`.
   */
  what: string;
  /** `performance.now()` when the wait in progress began; -1 when none is. */
  #waitingSince = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(controller: AbortController, idleMs: number, what: string) {
    this.#controller = controller;
    this.#idleMs = idleMs;
    this.what = what;
  }

  /** A wait for the upstream starts (headers, or the next chunk). */
  begin(): void {
    this.#waitingSince = performance.now();
    if (this.#timer === undefined && !this.#stopped) {
      this.#timer = setTimeout(checkIdle, this.#idleMs, this);
    }
  }

  /** The wait ended: time until the next `begin` is the caller's, not the upstream's. */
  end(): void {
    this.#waitingSince = -1;
  }

  /** The upstream sent something (bytes below the SDK): a wait in progress starts again. */
  readonly touch = (): void => {
    if (this.#waitingSince !== -1) this.#waitingSince = performance.now();
  };

  /** Ends the watch for good (its timer with it). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The timer fired: abort when the wait has lasted the limit, wait out the rest, or lapse. */
  check(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#waitingSince === -1) return;
    const quiet = performance.now() - this.#waitingSince;
    if (quiet >= this.#idleMs) {
      this.#stopped = true;
      this.#controller.abort(
        new PreCommitStreamError(`no ${this.what} for ${this.#idleMs} ms`, {
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
