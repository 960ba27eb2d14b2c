/**
 * A streamed chat completion's body, read as server-sent events into parsed JSON chunks, by the
 * router itself. The `openai` SDK reads the same body through four layers per event (an abortable
 * source racing every read against the signal, a byte splitter, a line decoder and a parser, the
 * three last async generators, and a fourth generator copying each chunk); this reader is one
 * object per stream that parses an event only when it is asked for the next one and allocates
 * one promise per read. It keeps the SDK's rules (`Stream.fromSSEResponse`, legacy mode), so a
 * caller sees the same chunks and the same errors:
 *
 * - events are separated by a blank line; lines end in LF, CRLF or CR; `data:` lines join with
 *   a line feed; one space after the colon is dropped; comment lines (`:`) and unknown fields
 *   are skipped; a last event without its blank line is still delivered at the end;
 * - `data: [DONE]` ends the stream (the rest of the body is cancelled);
 * - data that is not JSON fails with the SDK's `SyntaxError`; an `error` event, or data with an
 *   `error` field, fails with an `APIError` carrying it and the response headers (the Assistants
 *   API's `thread.*` events, which the SDK wraps with their names, never come on these streams);
 * - once the request is aborted the stream ends quietly (the caller reads the reason from the
 *   signal, as with the SDK).
 *
 * Every piece of the body read is reported to `onActivity` (comment lines included: the SDK
 * would drop them unseen), which is what keeps a slow but live stream within its idle limit.
 */
import { APIError, OpenAIError } from 'openai';

const done: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Reads `response`'s SSE body as parsed events (see the module comment). */
export function sseEvents<T>(
  response: Response,
  controller: AbortController,
  onActivity: () => void,
): AsyncIterator<T> {
  return new SseEvents<T>(response, controller.signal, onActivity);
}

class SseEvents<T> implements AsyncIterator<T> {
  readonly #headers: Headers;
  readonly #signal: AbortSignal;
  readonly #onActivity: () => void;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #decoder: TextDecoder | undefined;
  /** Decoded text not yet parsed, from {@link #position}. */
  #text = '';
  #position = 0;
  /** Where the search for the next line end resumes: the text before it has none. */
  #searchFrom = 0;
  /** The text holds a carriage return (so lines may end in CR alone: the slower scan). */
  #carriage = false;
  /** The last piece ended with a CR: a LF at the start of the next one belongs to it. */
  #skipLineFeed = false;
  /** The event being read: its `event` field, and its data lines joined (undefined: none). */
  #event = '';
  #data: string | undefined;
  /** The body ended (or was cancelled): what is left in the text is all there is. */
  #bodyEnded = false;
  #finished = false;

  constructor(response: Response, signal: AbortSignal, onActivity: () => void) {
    this.#headers = response.headers;
    this.#signal = signal;
    this.#onActivity = onActivity;
    this.#reader = response.body?.getReader();
    // An abort ends a read in progress even when the body does not follow the request's signal
    // (a custom fetch): the reader is cancelled, and the read ends. The object is its own
    // listener (`handleEvent`): no closure per stream.
    if (this.#reader !== undefined) signal.addEventListener('abort', this, { once: true });
  }

  /** The request was aborted: a read in progress ends now (see the constructor). */
  handleEvent(): void {
    this.#finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#reader === undefined && !this.#finished) {
      this.#finished = true;
      return Promise.reject(new OpenAIError('Attempted to iterate over a response with no body'));
    }
    try {
      const result = this.#take();
      if (result !== undefined) return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#read();
  }

  return(): Promise<IteratorResult<T>> {
    this.#finish();
    return Promise.resolve(done);
  }

  /** Reads pieces of the body until an event is complete, or the body ends. */
  async #read(): Promise<IteratorResult<T>> {
    const reader = this.#reader as ReadableStreamDefaultReader<Uint8Array>;
    for (;;) {
      let piece: ReadableStreamReadResult<Uint8Array>;
      try {
        piece = await reader.read();
      } catch (error) {
        // An aborted request ends the stream quietly; the caller reads why from the signal.
        if (this.#signal.aborted) return this.#end();
        this.#finish();
        throw error;
      }
      this.#onActivity();
      if (piece.done) {
        this.#bodyEnded = true;
        this.#append(this.#decoder?.decode() ?? '');
      } else {
        this.#decoder ??= new TextDecoder();
        this.#append(this.#decoder.decode(piece.value, { stream: true }));
      }
      const result = this.#take();
      if (result !== undefined) return result;
    }
  }

  #append(text: string): void {
    if (text === '') return;
    if (this.#skipLineFeed) {
      this.#skipLineFeed = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    const rest = this.#position < this.#text.length ? this.#text.slice(this.#position) : '';
    this.#text = rest + text;
    this.#searchFrom = Math.max(0, this.#searchFrom - this.#position);
    this.#position = 0;
    if (!this.#carriage && text.includes('\r')) this.#carriage = true;
  }

  /**
   * The next event in the text read so far, parsed: a result, or undefined when more of the
   * body is needed. Throws on a malformed or error event.
   */
  #take(): IteratorResult<T> | undefined {
    if (this.#finished) return done;
    if (this.#signal.aborted) return this.#end();
    const text = this.#text;
    for (;;) {
      const start = this.#position;
      // A long line that came in many pieces is searched once, not again with every piece.
      const from = Math.max(start, this.#searchFrom);
      let end = this.#carriage ? lineEnd(text, from) : text.indexOf('\n', from);
      let next = end + 1;
      if (end === -1) {
        if (!this.#bodyEnded) {
          this.#searchFrom = text.length;
          return undefined;
        }
        // The end of the body: a last line without its line break, then a last event without
        // its blank line.
        if (start < text.length) {
          end = text.length;
          next = end;
        } else {
          this.#position = text.length;
          const last = this.#dispatch();
          return last ?? this.#end();
        }
      } else if (text.charCodeAt(end) === 13) {
        if (end + 1 < text.length) {
          if (text.charCodeAt(end + 1) === 10) next += 1;
        } else if (!this.#bodyEnded) {
          this.#skipLineFeed = true;
        }
      }
      this.#position = next;
      if (end === start) {
        const event = this.#dispatch();
        if (event !== undefined) return event;
        continue;
      }
      const first = text.charCodeAt(start);
      if (first === 58) continue; // ':' a comment
      const colon = text.indexOf(':', start);
      const fieldEnd = colon === -1 || colon > end ? end : colon;
      let valueStart = fieldEnd === end ? end : fieldEnd + 1;
      if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart += 1;
      const length = fieldEnd - start;
      if (length === 4 && text.startsWith('data', start)) {
        const value = text.slice(valueStart, end);
        this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
      } else if (length === 5 && text.startsWith('event', start)) {
        this.#event = text.slice(valueStart, end);
      }
    }
  }

  /** A blank line: the event read so far, parsed; undefined when there was none. */
  #dispatch(): IteratorResult<T> | undefined {
    const event = this.#event;
    const data = this.#data;
    if (event === '' && data === undefined) return undefined;
    this.#event = '';
    this.#data = undefined;
    const text = data ?? '';
    if (text === '[DONE]') return this.#end();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#finish();
      throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
    }
    const body = value as { error?: unknown } | null;
    if (event === 'error') {
      this.#finish();
      throw new APIError(undefined, (body?.error ?? body) as object, undefined, this.#headers);
    }
    if (body?.error) {
      this.#finish();
      throw new APIError(undefined, body.error as object, undefined, this.#headers);
    }
    return { done: false, value: value as T };
  }

  /** The stream is over: the rest of the body is not read. */
  #end(): IteratorReturnResult<undefined> {
    this.#finish();
    return done;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#text = '';
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader === undefined) return;
    this.#signal.removeEventListener('abort', this);
    // A body read to its end has nothing left to cancel.
    if (!this.#bodyEnded) reader.cancel().catch(ignore);
  }
}

/** Where the line starting at `start` ends (its LF or CR), or -1. */
function lineEnd(text: string, start: number): number {
  for (let index = start; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 10 || code === 13) return index;
  }
  return -1;
}

function ignore(): void {}
