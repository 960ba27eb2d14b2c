/**
 * The `fetch` under every pooled client. Every request of a call carries the call's signal in
 * its `fetchOptions` under {@link callSignalKey}: it replaces the SDK's own signal on the
 * request, so the deadline, the caller's abort and `close()` stop the request, its headers and
 * its body without the SDK composing a signal per request (see `call-signal.ts`). A request
 * without the key goes to `fetch` as it is. A request that reaches this `fetch` marks its call's
 * attempt as sent: a failure before that point never left the process.
 */
import { type CallSignal, callKey, callSignalKey } from './call-signal.ts';
import type { Fetch } from './types.ts';

/** Wraps a `fetch` (the global one by default) so that a call's signal reaches the request. */
export function withCallSignal(fetch: Fetch | undefined): Fetch {
  const send: Fetch = fetch ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init) => {
    const carried = init as { [callSignalKey]?: AbortSignal; [callKey]?: CallSignal } | undefined;
    const signal = carried?.[callSignalKey];
    // The attempt left the process (see `CallSignal.sent`).
    const call = carried?.[callKey];
    if (call !== undefined) call.sent = true;
    // The request object is the SDK's own, made for this one request: set its signal in place.
    // The symbol key stays on it: `fetch` reads only the names it knows.
    if (init !== undefined && signal !== undefined) init.signal = signal;
    return send(input, init);
  };
}
