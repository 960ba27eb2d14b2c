/**
 * A plain chat completion's body, read by the router itself. The `openai` SDK turns a response
 * into its value through several async layers per request (its parse step, the resource's
 * unwrap step, each adding the request id); for chat completions, whose value is the parsed body
 * as it is, the router reads the response the SDK fetched in one step, by the SDK's own rules
 * (`defaultParseResponse`), so a caller gets the same value:
 *
 * - a 204 is `null`; a JSON media type (`application/json`, `…+json`) with `content-length: 0`
 *   or an empty body is `undefined`; other JSON is parsed (a `SyntaxError` when it is not JSON)
 *   and, when an object, gets the non-enumerable `_request_id` from `x-request-id`;
 * - any other media type is the body as text.
 *
 * When the client logs at `debug`, the SDK's own step is used, so its "response parsed" log
 * line is still written.
 */
import type OpenAI from 'openai';
import type { SdkRequest } from './call.ts';

/** What the SDK's request for a chat completion offers: its response, and its own parse. */
type ChatRequest<T> = PromiseLike<T> & { asResponse(): Promise<Response> };

/**
 * The SDK's request, read by the router: `then()` gives the body's value, `asResponse()` the
 * response (as the SDK's).
 */
export function readByRouter<T>(request: ChatRequest<T>, client: OpenAI): SdkRequest<T> {
  return client.logLevel === 'debug' ? request : new RouterRead(request);
}

class RouterRead<T> implements SdkRequest<T> {
  readonly #request: ChatRequest<T>;
  #value: Promise<T> | undefined;

  constructor(request: ChatRequest<T>) {
    this.#request = request;
  }

  // biome-ignore lint/suspicious/noThenProperty: the SDK's request is a thenable, and so is this
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#value ??= bodyValue(this.#request.asResponse()) as Promise<T>;
    // Called with nothing (the success path), it is the value's own promise: no extra step.
    if (onfulfilled == null && onrejected == null) return this.#value as Promise<A | B>;
    return this.#value.then(onfulfilled, onrejected);
  }

  asResponse(): Promise<Response> {
    return this.#request.asResponse();
  }
}

/** The value of a response, as the SDK's `defaultParseResponse` makes it (module comment). */
export async function bodyValue(pending: Promise<Response>): Promise<unknown> {
  const response = await pending;
  if (response.status === 204) return null;
  const contentType = response.headers.get('content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType?.includes('application/json') !== true && mediaType?.endsWith('+json') !== true) {
    return response.text();
  }
  if (response.headers.get('content-length') === '0') return undefined;
  const text = await response.text();
  if (text === '') return undefined;
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.defineProperty(value, '_request_id', {
    value: response.headers.get('x-request-id'),
    enumerable: false,
  });
}
