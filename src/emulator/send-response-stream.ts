/**
 * Streams a Responses answer as typed server-sent events (`event: <type>` and `data: <json>`),
 * with stream faults played after a text delta. The event sequence follows OpenAI's streaming
 * reference (https://platform.openai.com/docs/api-reference/responses-streaming): the stream
 * ends after the terminal event, with no `[DONE]`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { type Exchange, wait, writeEventStreamHead, writeFlushed } from './exchange.ts';
import {
  defaultMalformedData,
  type Fault,
  type MalformedChunkFault,
  type StreamCutFault,
  type StreamErrorFault,
  type StreamStallFault,
} from './faults.ts';
import type { Personality } from './personality.ts';
import type { ResponseEvents } from './responses.ts';
import { sendKeepAlive } from './send-chat-stream.ts';

/** Options for {@link sendResponseStream}. */
export type SendResponseStreamOptions = {
  /** The exchange to answer. */
  exchange: Exchange;
  /** The rendered events. */
  events: ResponseEvents;
  /** A fault to play inside the stream (faults other than stream faults are ignored here). */
  fault: Fault | undefined;
  /** Extra response headers (gateway headers, credential). */
  headers: OutgoingHttpHeaders;
  /** Whose comment lines a `keep-alive` fault sends. @default 'openai' */
  personality?: Personality;
};

/** The faults that act after a text delta. */
type DeltaFault = StreamCutFault | StreamErrorFault | StreamStallFault | MalformedChunkFault;

function deltaFaultOf(fault: Fault | undefined): DeltaFault | undefined {
  switch (fault?.type) {
    case 'stream-cut':
    case 'stream-error':
    case 'stream-stall':
    case 'malformed-chunk':
      return fault;
    default:
      return undefined;
  }
}

/** Sends one event; a string is sent as it is, as the data of a text delta event (a malformed line). */
async function sendEvent(options: {
  exchange: Exchange;
  event: Record<string, unknown> | string;
}): Promise<void> {
  const { exchange, event } = options;
  if (exchange.signal.aborted) return;
  const text =
    typeof event === 'string'
      ? `event: response.output_text.delta\ndata: ${event}\n\n`
      : `event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`;
  await writeFlushed({ exchange, text });
}

/**
 * Streams Responses events as SSE. Stream faults act after `afterChunks` text deltas:
 * `stream-cut` destroys the socket, `stream-error` sends an `error` event and ends,
 * `stream-stall` pauses, `malformed-chunk` sends a line that is not JSON, and `stream-no-done`
 * ends without the terminal event. `keep-alive` sends only comment lines before the first event.
 */
export async function sendResponseStream(options: SendResponseStreamOptions): Promise<void> {
  const { exchange, events } = options;
  writeEventStreamHead({ exchange, headers: options.headers });
  if (options.fault?.type === 'keep-alive') {
    const personality = options.personality ?? 'openai';
    if (!(await sendKeepAlive({ exchange, fault: options.fault, personality }))) return;
  }
  const send = (event: Record<string, unknown> | string) => sendEvent({ exchange, event });
  for (const event of events.opening) await send(event);
  const fault = deltaFaultOf(options.fault);
  const faultAt = fault === undefined ? -1 : Math.min(fault.afterChunks ?? 1, events.deltas.length);
  for (let index = 0; index <= events.deltas.length; index += 1) {
    if (index === faultAt && fault !== undefined) {
      if (!(await playDeltaFault({ exchange, events, fault, index }))) return;
    }
    const delta = events.deltas[index];
    if (delta !== undefined) await send(delta);
  }
  const noDone = options.fault?.type === 'stream-no-done';
  for (const event of noDone ? events.closing.slice(0, -1) : events.closing) await send(event);
  exchange.response.end();
}

/**
 * Plays a stream fault before delta `index`. Returns true when the stream goes on (after a stall
 * or a malformed line), false once it has ended it.
 */
async function playDeltaFault(options: {
  exchange: Exchange;
  events: ResponseEvents;
  fault: DeltaFault;
  index: number;
}): Promise<boolean> {
  const { exchange, fault } = options;
  switch (fault.type) {
    case 'stream-cut':
      exchange.entry.outcome = 'cut';
      exchange.request.socket.destroy();
      return false;
    case 'stream-error':
      await sendEvent({
        exchange,
        event: {
          type: 'error',
          sequence_number: options.index + options.events.opening.length,
          code: fault.code ?? 'server_error',
          message: fault.message ?? 'The server had an error while processing your request.',
          param: null,
        },
      });
      exchange.response.end();
      return false;
    case 'stream-stall':
      // Without `ms` the stream stays open and silent until the client or `close()` ends it.
      if (fault.ms === undefined) return false;
      return wait({ ms: fault.ms, signal: exchange.signal });
    case 'malformed-chunk':
      await sendEvent({ exchange, event: fault.data ?? defaultMalformedData });
      return true;
  }
}
