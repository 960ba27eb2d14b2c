/**
 * A router stream as a server-sent events response, one event per chunk, read from upstream
 * only as fast as the client takes them (the body is pulled: nothing is buffered ahead of a slow
 * client, and a client that goes away cancels the upstream request).
 *
 * A chat stream ends with `data: [DONE]` only when it really completed. A stream interrupted
 * after its first chunk (when the router can no longer fall back) ends instead with an error
 * event in OpenAI's shape, `data: {"error": {...}}`, which the `openai` clients (Node and
 * Python) raise as an `APIError` and the AI SDK reports as an error part: never a silently
 * truncated answer.
 */
import { isRouterError } from '../errors.ts';
import { errorFromRouter } from './openai-error.ts';

/** Options of {@link sseResponse}. */
export type SseResponseOptions = {
  /** The router's stream. */
  stream: AsyncIterable<unknown>;
  /** Extra response headers (the route). */
  headers: Readonly<Record<string, string>>;
  /**
   * Responses API style: each event named after its `type` (`event: response.output_text.delta`)
   * and no `[DONE]`. @default false (chat completions style)
   */
  namedEvents?: boolean;
  /** Called once when the stream has ended, failed or been cancelled. @default undefined */
  onEnd?: () => void;
};

const encoder = new TextEncoder();

/** Builds the streaming response. */
export function sseResponse(options: SseResponseOptions): Response {
  const iterator = options.stream[Symbol.asyncIterator]();
  const named = options.namedEvents === true;
  let finished = false;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (finished) return;
        try {
          const next = await iterator.next();
          if (next.done === true) {
            finished = true;
            if (!named) controller.enqueue(encoder.encode('data: [DONE]\n\n'));
            controller.close();
            end();
            return;
          }
          controller.enqueue(encoder.encode(formatEvent(next.value, { named })));
        } catch (error) {
          finished = true;
          controller.enqueue(encoder.encode(errorEvent(error, { named })));
          controller.close();
          end();
        }
      },
      async cancel() {
        finished = true;
        end();
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...options.headers,
    },
  });
}

/** How events are written. */
type EventOptions = {
  /** Responses API style: `event: <type>` before the data (chat streams have data lines only). */
  readonly named: boolean;
};

function formatEvent(value: unknown, { named }: EventOptions): string {
  const data = JSON.stringify(value);
  const type = (value as { type?: unknown } | null)?.type;
  if (named && typeof type === 'string' && /^[\w.-]+$/.test(type)) {
    return `event: ${type}\ndata: ${data}\n\n`;
  }
  return `data: ${data}\n\n`;
}

function errorEvent(error: unknown, { named }: EventOptions): string {
  const answer = errorFromRouter(error);
  const code =
    isRouterError(error) && error.code === 'STREAM_INTERRUPTED'
      ? 'stream_interrupted'
      : answer.body.error.code;
  const payload = { error: { ...answer.body.error, code } };
  if (named) {
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code, message: payload.error.message, param: null })}\n\n`;
  }
  return `data: ${JSON.stringify(payload)}\n\n`;
}
