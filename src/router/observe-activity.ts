/**
 * Activity below the SDK. The `openai` SDK drops SSE comment lines (`: OPENROUTER PROCESSING`,
 * `: keep-alive`) before the router sees a chunk, so a slow but live upstream would look idle.
 * A streaming request passes a callback in its `fetchOptions` under {@link activityKey}; the
 * router's `fetch` then reports every piece of the body (see `observeBody`), bytes only: the
 * stream is parsed once, by the SDK.
 *
 * Every request of a call also carries the call's signal under {@link callSignalKey}: it
 * replaces the SDK's own signal on the request, so the deadline, the caller's abort and
 * `close()` stop the request, its headers and its body without the SDK composing a signal per
 * request (see `call-signal.ts`). Requests without either key go straight to `fetch`.
 */
import { callSignalKey } from './call-signal.ts';
import type { Fetch } from './types.ts';

/** The `fetchOptions` key under which a request carries its activity callback. */
export const activityKey: unique symbol = Symbol('switchyard.activity');

/** `fetchOptions` that report body activity to `onActivity`. */
export type ActivityFetchOptions = { [activityKey]: () => void };

/** Wraps a `fetch` so that requests carrying {@link activityKey} report body activity. */
export function observeActivity(fetch: Fetch | undefined): Fetch {
  const send: Fetch = fetch ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init) => {
    const options = init as
      | (RequestInit & Partial<ActivityFetchOptions> & { [callSignalKey]?: AbortSignal })
      | undefined;
    const signal = options?.[callSignalKey];
    // The request object is the SDK's own, made for this one request: set its signal in place.
    if (options !== undefined && signal !== undefined) options.signal = signal;
    const onActivity = options?.[activityKey];
    if (onActivity === undefined) return send(input, init);
    // The symbol keys stay on the request options: `fetch` reads only the names it knows.
    const sent = send(input, init);
    // The body is fitted on a side branch, not in series: the SDK awaits the request's own
    // promise (one step fewer before it sees the headers), and this reaction, registered first,
    // runs before the SDK's, so the body is observed before anything reads it.
    sent.then((response) => observeBody(response, onActivity), ignore);
    return sent;
  };
}

/** A failed request is the SDK's to report; the side branch only swallows its copy. */
function ignore(): void {}

/**
 * Reports every piece of a successful body to `onActivity`, with nothing allocated per piece:
 * the body stays the real stream, and the reader it hands out (the SDK reads with
 * `getReader()`) reports activity each time it is asked for the next piece. The SDK asks again
 * as soon as it has parsed the piece before (a comment line, half an event), so each piece
 * that arrived is reported within that parse; the first ask reports the headers.
 */
function observeBody(response: Response, onActivity: () => void): Response {
  const body = response.body;
  if (body === null || !response.ok || response.status === 204) return response;
  type Reader = { read(): Promise<unknown> };
  const getReader = body.getReader as (this: unknown, options?: unknown) => Reader;
  const observed = function (this: unknown, options?: unknown): Reader {
    const reader = getReader.call(this, options);
    if (options !== undefined) return reader;
    const read = reader.read;
    reader.read = function (this: Reader) {
      onActivity();
      return read.call(this);
    };
    return reader;
  };
  body.getReader = observed as typeof body.getReader;
  return response;
}
