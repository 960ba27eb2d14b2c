/**
 * Shares of a call's deadline: the longest backoff a target's retries can wait, and the equal
 * share per try that a dynamic route's `model` elements get when no attempt limit is set (the
 * router's own hand-over computes its shares as the call goes: see `startAttemptTimer`).
 */
import type { RetryPolicy } from './route-table.ts';

/** The longest total of backoff waits between the tries on one target (jitter only shortens them). */
export function maxBackoffMs(retry: RetryPolicy): number {
  let waits = 0;
  for (let attempt = 1; attempt < retry.attempts; attempt += 1)
    waits += Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (attempt - 1));
  return waits;
}

/** Options of {@link shareAttemptMs}. */
export type ShareAttemptOptions = {
  /** The call's deadline, ms. */
  totalMs: number;
  /** The alias's retry policy. */
  retry: RetryPolicy;
  /** Targets in the chain. */
  targets: number;
};

/**
 * `total ÷ targets`, less the backoff waits on one target, split between its attempts. One
 * target keeps the whole deadline; a share that leaves nothing (waits longer than the share)
 * also keeps it, and `validate` and `plan` warn about the targets it cannot reach.
 */
export function shareAttemptMs(options: ShareAttemptOptions): number {
  const { totalMs, retry, targets } = options;
  if (targets < 2) return totalMs;
  const share = Math.floor((totalMs / targets - maxBackoffMs(retry)) / retry.attempts);
  return share >= 1 ? share : totalMs;
}
