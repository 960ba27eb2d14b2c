/**
 * The errors an attempt raises inside the router, besides what the SDK throws: a stream that
 * failed before its commit point, an attempt's own time limit, a successful status whose body is
 * not an answer. Each carries what `classifyError` needs to class it.
 */
import type { ErrorClass } from '../config/route-table.ts';

/** Raised inside the router for stream failures before the commit point. */
export class PreCommitStreamError extends Error {
  override readonly name = 'PreCommitStreamError';
  /** `timeout` for first-token and idle timeouts, `interrupted_stream` otherwise. */
  readonly errorClass: ErrorClass;
  constructor(message: string, options: { errorClass: ErrorClass; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = options.errorClass;
  }
}

/**
 * Raised when one attempt's own time limit passes: the `timeout.attempt` set in the config, or
 * (`handOver`) the attempt's share of what was left of the deadline, after which the target
 * hands over to the next one without a retry.
 */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  /** True when the limit was the target's share of the deadline (no `timeout.attempt` set). */
  readonly handOver: boolean;
  constructor(message: string, options: { handOver: boolean }) {
    super(message);
    this.handOver = options.handOver;
  }
}

/**
 * A successful HTTP status whose body is not an answer: an HTML page, an empty body, `null`, a
 * bare value, an object without `choices`, or a choice that finished with `"error"`.
 */
export class UnusableResponseError extends Error {
  override readonly name = 'UnusableResponseError';
  readonly errorClass: ErrorClass;
  /** The HTTP status, when known. */
  readonly status: number | undefined;
  /** The response headers, when known (gateway ids for the attempt log). */
  readonly headers: Headers | undefined;
  constructor(
    message: string,
    options: { errorClass: ErrorClass; status?: number; headers?: Headers; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorClass = options.errorClass;
    this.status = options.status;
    this.headers = options.headers;
  }
}
