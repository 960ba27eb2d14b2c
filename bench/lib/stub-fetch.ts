/**
 * An in-process `fetch` that answers every request with the mock upstream's own bytes (a fresh
 * `Response` per call; a streamed answer one SSE frame per read), for measurements that isolate
 * what the code under test costs in CPU and allocations from the network stack, whose own work
 * varies with timing. Every client of such a measurement gets the same function.
 */
import { completionBody, streamFrames } from './mock-server.ts';

/** Answers like the mock: the stream when the body asks for one, the completion otherwise. */
export async function stubFetch(
  _input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const text = typeof init?.body === 'string' ? init.body : '';
  if (text.includes('"stream":true')) {
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const frame = streamFrames[index++];
        if (frame === undefined) controller.close();
        else controller.enqueue(new Uint8Array(frame));
      },
    });
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' },
    });
  }
  return new Response(new Uint8Array(completionBody), {
    headers: { 'content-type': 'application/json', 'x-request-id': 'req_bench' },
  });
}
