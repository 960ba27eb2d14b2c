/**
 * Preloaded into Portkey's gateway (`node --import`). Portkey 1.15.2 on Node answers every
 * streamed chat completion with 500 "Something went wrong": it wraps the upstream `fetch`
 * response with `new Response(stream, upstreamResponse)`, @hono/node-server's lightweight
 * `Response` keeps the upstream's immutable `Headers` by reference, and Portkey's
 * `updateHeaders()` then throws `TypeError: immutable` (Portkey-AI/gateway#1389, #1550; the
 * proposed fix, #1551, copies the headers first). This does the same copy, nothing else: when
 * hono installs its `Response`, a subclass that gives a `Response` passed as `init` its own
 * mutable copy of the headers takes its place.
 */
const defineProperty = Object.defineProperty;
const NativeResponse = globalThis.Response;

Object.defineProperty = function patchedDefineProperty<T>(
  target: T,
  key: PropertyKey,
  descriptor: PropertyDescriptor & ThisType<unknown>,
): T {
  if (target === globalThis && key === 'Response' && typeof descriptor.value === 'function') {
    const Lightweight = descriptor.value as typeof Response;
    const isLightweight = (value: unknown) =>
      value instanceof (Lightweight as unknown as new () => object);
    class CopyingResponse extends Lightweight {
      constructor(body?: BodyInit | null, init?: ResponseInit) {
        const given: unknown = init;
        const copy =
          given instanceof NativeResponse && !isLightweight(given)
            ? {
                status: given.status,
                statusText: given.statusText,
                headers: new Headers(given.headers),
              }
            : init;
        super(body, copy);
      }
    }
    return defineProperty(target, key, { ...descriptor, value: CopyingResponse }) as T;
  }
  return defineProperty(target, key, descriptor) as T;
} as typeof Object.defineProperty;
