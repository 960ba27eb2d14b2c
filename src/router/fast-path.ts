/**
 * Where a call's success path starts: the target it tries first. A call that succeeds first time
 * sends that one attempt itself, in one async function (`runPlain`, `runStream`); anything else
 * (the attempt failed, the target is cooling down) goes to the walker (`walkTargets`), which
 * carries on exactly as if it had sent that attempt itself.
 */
import type { Call } from './call.ts';

/** The index of the target a call tries first (its drawn order's first, or the plan's first). */
export function firstIndex<T>(call: Call<T>): number {
  return call.order === undefined ? 0 : (call.order[0] ?? 0);
}
