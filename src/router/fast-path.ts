/**
 * The success path of a streamed call: the first attempt on the call's first target, sent
 * directly. No attempt log, no route: a success returns a {@link Served} that builds its record
 * and route only when asked. Anything else (the attempt failed, the target is cooling down)
 * hands what was already done to the walker, which carries on exactly as if it had sent that
 * attempt itself. (A plain call runs the same steps inside `runPlain`, in one async function.)
 */
import type { Served } from './attempt-log.ts';
import type { Call } from './call.ts';
import { sendAttempt, succeed } from './retry-target.ts';
import { acquire, walkTargets } from './walk-targets.ts';

/** Runs a call to its first success; throws as {@link walkTargets} does. */
export async function runCall<T>(call: Call<T>): Promise<Served<T>> {
  const targetIndex = firstIndex(call);
  const target = call.plan.targets[targetIndex];
  if (target === undefined) return walkTargets({ call });
  let ticket = acquire(call, target);
  if (ticket instanceof Promise) ticket = await ticket;
  if (!ticket.available) return walkTargets({ call, first: { ticket } });
  const started = performance.now();
  let sent: Awaited<ReturnType<typeof sendAttempt<T>>>;
  try {
    sent = await sendAttempt(call, target);
  } catch (error) {
    return walkTargets({ call, first: { ticket, failure: { error, started } } });
  }
  return succeed({ call, target, targetIndex, attempt: 1, ...sent, started });
}

/** The index of the target a call tries first (its drawn order's first, or the plan's first). */
export function firstIndex<T>(call: Call<T>): number {
  return call.order === undefined ? 0 : (call.order[0] ?? 0);
}
