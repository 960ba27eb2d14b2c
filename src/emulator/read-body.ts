/**
 * Reads a request body as text with a size limit, so one request cannot make the emulator
 * buffer without bound.
 */
import type { IncomingMessage } from 'node:http';

/** Thrown by {@link readBody} when a body exceeds its limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads a request body as UTF-8 text, refusing more than `limit` bytes. */
export function readBody(options: { request: IncomingMessage; limit: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    options.request.on('data', (part: Buffer) => {
      size += part.length;
      if (size > options.limit) {
        reject(new BodyTooLargeError(`Request body exceeds ${options.limit} bytes`));
        // Stop buffering; the caller still answers 413 on the open socket.
        options.request.removeAllListeners('data');
        options.request.resume();
        return;
      }
      parts.push(part);
    });
    options.request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    options.request.on('error', reject);
  });
}

/** Parses a body as JSON, keeping the raw text when it is not JSON; `undefined` when empty. */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
