/**
 * Reads a request's JSON body with a size limit: a declared `content-length` over the limit is
 * refused before anything is read, and a body that grows past it while streaming in is cut off
 * there, so a client can never make the server buffer more than the limit. A budget shared by
 * all requests bounds the bytes held across them: past it a request gets 503.
 */
import { type ServeError, serveError } from './openai-error.ts';

/** Bytes of request bodies held in memory across all requests, and the most there may be. */
export type BodyBudget = {
  /** Takes `bytes` from the budget; false (nothing taken) when there is not that much left. */
  take(bytes: number): boolean;
  /** Gives `bytes` back. */
  give(bytes: number): void;
};

/** A budget of `limitBytes` shared by every request that reads with it. */
export function createBodyBudget(limitBytes: number): BodyBudget {
  let used = 0;
  return {
    take(bytes) {
      if (used + bytes > limitBytes) return false;
      used += bytes;
      return true;
    },
    give(bytes) {
      used = Math.max(0, used - bytes);
    },
  };
}

/** Options of {@link readJsonBody}. */
export type ReadJsonBodyOptions = {
  request: Request;
  /** Largest body, in bytes. */
  maxBodyBytes: number;
  /**
   * The budget the body's bytes are taken from; past it the request gets 503.
   * @default undefined (no budget across requests)
   */
  budget?: BodyBudget;
};

/**
 * The parsed body (a JSON object) and the bytes it took from the budget (give them back when the
 * body is no longer needed), or the error answer to send (nothing left taken).
 */
export type ReadJsonBodyResult =
  | { ok: true; value: Record<string, unknown>; takenBytes: number }
  | { ok: false; error: ServeError };

/** Reads and parses the body; never throws. */
export async function readJsonBody(options: ReadJsonBodyOptions): Promise<ReadJsonBodyResult> {
  const budget = options.budget ?? unlimited;
  const taken = { bytes: 0 };
  const result = await readWithin({ ...options, budget, taken });
  if (!result.ok) budget.give(taken.bytes);
  return result;
}

const unlimited: BodyBudget = { take: () => true, give: () => undefined };

type ReadWithinOptions = ReadJsonBodyOptions & {
  readonly budget: BodyBudget;
  /** Bytes taken from the budget so far. */
  readonly taken: { bytes: number };
};

async function readWithin(options: ReadWithinOptions): Promise<ReadJsonBodyResult> {
  const { request, maxBodyBytes, budget, taken } = options;
  // The budget is taken before the bytes are read: the declared length at once, or chunk by chunk.
  const take = (bytes: number): boolean => {
    if (bytes <= taken.bytes) return true;
    if (!budget.take(bytes - taken.bytes)) return false;
    taken.bytes = bytes;
    return true;
  };
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
  if (Number.isFinite(declared) && !take(declared)) {
    await request.body.cancel().catch(() => undefined);
    return busy();
  }
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
      if (!take(size)) {
        await reader.cancel().catch(() => undefined);
        return busy();
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
  return { ok: true, value: value as Record<string, unknown>, takenBytes: taken.bytes };
}

function busy(): ReadJsonBodyResult {
  return {
    ok: false,
    error: serveError({
      status: 503,
      message:
        'The server holds as many request bodies as its memory budget allows (switchyard serve --max-body-in-flight); retry shortly.',
      code: 'server_busy',
    }),
  };
}

function invalid(message: string): ReadJsonBodyResult {
  return {
    ok: false,
    error: serveError({ status: 400, message, code: 'invalid_json' }),
  };
}
