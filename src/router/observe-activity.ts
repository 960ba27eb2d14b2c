/**
 * Activity below the SDK. The `openai` SDK drops SSE comment lines (`: OPENROUTER PROCESSING`,
 * `: keep-alive`) before the router sees a chunk, so a slow but live upstream would look idle.
 * A streaming request passes a callback in its `fetchOptions` under {@link activityKey}; the
 * router's `fetch` then reports every piece of the body as it arrives, bytes only: the stream
 * is parsed once, by the SDK.
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
    const { [activityKey]: _, ...rest } = init as RequestInit & ActivityFetchOptions;
    return send(input, rest).then((response) => {
      const body = response.body;
      if (body === null || !response.ok || response.status === 204) return response;
      // One read of the real body per read of this one (no queue, no pipe): each piece reports
      // activity as it arrives, even while the SDK waits for the end of an event.
      const reader = body.getReader();
      const observed = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) {
              controller.close();
              return;
            }
            onActivity();
            controller.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      // The SDK reads a streaming response through `body` only; the rest of the response
      // (status, headers, url) stays the original, with no copy.
      Object.defineProperty(response, 'body', { value: observed });
      return response;
    });
  };
}
