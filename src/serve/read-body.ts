/**
 * Reads a request's JSON body with a size limit: a declared `content-length` over the limit is
 * refused before anything is read, and a body that grows past it while streaming in is cut off
 * there, so a client can never make the server buffer more than the limit.
 */
import { type ServeError, serveError } from './openai-error.ts';

/** Options of {@link readJsonBody}. */
export type ReadJsonBodyOptions = {
  request: Request;
  /** Largest body, in bytes. */
  maxBodyBytes: number;
};

/** The parsed body (a JSON object), or the error answer to send. */
export type ReadJsonBodyResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: ServeError };

/** Reads and parses the body; never throws. */
export async function readJsonBody(options: ReadJsonBodyOptions): Promise<ReadJsonBodyResult> {
  const { request, maxBodyBytes } = options;
  const tooLarge = (): ReadJsonBodyResult => ({
    ok: false,
    error: serveError({
      status: 413,
      message: `The request body is larger than ${maxBodyBytes} bytes, this server's limit (switchyard serve --max-body).`,
      code: 'request_too_large',
    }),
  });
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBodyBytes) return tooLarge();
  if (request.body === null) return invalid('The request has no body; send a JSON object.');
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBodyBytes) {
        await reader.cancel().catch(() => undefined);
        return tooLarge();
      }
      parts.push(value);
    }
  } catch {
    return invalid('The request body could not be read.');
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    return invalid(`The request body is not valid JSON${detail}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('The request body must be a JSON object.');
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function invalid(message: string): ReadJsonBodyResult {
  return {
    ok: false,
    error: serveError({ status: 400, message, code: 'invalid_json' }),
  };
}
