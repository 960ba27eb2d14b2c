/**
 * The routes API client against a plain local server answering the way Cloudflare's API does
 * (`{success, errors: [{code, message}], result}` envelopes,
 * https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/): reads are retried
 * with p-retry on a 5xx or a network failure, never on a 4xx; writes are sent once, and a failed
 * write says to check with `routes diff`; a 429 is not retried (Cloudflare blocks API calls for
 * five minutes once its rate limit is exceeded,
 * https://developers.cloudflare.com/fundamentals/api/reference/limits/). No message carries the
 * token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRoute,
  findRoute,
  RoutesApiError,
  type RoutesApiTarget,
} from '../../src/cli/routes-api.ts';

const token = 'cf-api-token-ROUTES-7f3a';

type Seen = { method: string; url: string; authorization: string | undefined };

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) =>
    server === undefined ? resolve() : server.close(() => resolve()),
  );
  server = undefined;
});

/** A server whose n-th answer (0-based) is `answers[n]` (the last one repeats). */
async function serve(
  answers: readonly { status: number; body: unknown }[],
): Promise<{ target: RoutesApiTarget; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
      });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)] as (typeof answers)[0];
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    target: {
      apiUrl: `http://127.0.0.1:${port}`,
      accountId: 'acct',
      gatewayId: 'gw',
      token,
      retry: { retries: 2, minDelayMs: 1 },
    },
    seen,
  };
}

const unavailable = {
  status: 503,
  body: { success: false, errors: [{ code: 10000, message: 'service unavailable' }], result: null },
};
const emptyList = { status: 200, body: { success: true, errors: [], result: { routes: [] } } };

async function failure(promise: Promise<unknown>): Promise<RoutesApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RoutesApiError);
    expect(String((error as Error).message)).not.toContain(token);
    return error as RoutesApiError;
  }
  throw new Error('expected a RoutesApiError');
}

const definition = { name: 'support', elements: [] };

describe('routes API client', () => {
  it('retries a read after a 5xx and then reads the answer', async () => {
    const { target, seen } = await serve([unavailable, unavailable, emptyList]);
    await expect(findRoute(target, 'support')).resolves.toBeUndefined();
    expect(seen).toHaveLength(3);
    expect(seen.every((request) => request.method === 'GET')).toBe(true);
    expect(seen[0]?.url).toBe(
      '/client/v4/accounts/acct/ai-gateway/gateways/gw/routes?page=1&per_page=50',
    );
    expect(seen[0]?.authorization).toBe(`Bearer ${token}`);
  });

  it('gives up on a read after its retries, saying how often it tried', async () => {
    const { target, seen } = await serve([unavailable]);
    const error = await failure(findRoute(target, 'support'));
    expect(seen).toHaveLength(3);
    expect(error.status).toBe(503);
    expect(error.message).toContain('failed 3 times');
  });

  it('does not retry a read refused with a 4xx', async () => {
    const { target, seen } = await serve([
      {
        status: 403,
        body: { success: false, errors: [{ code: 10000, message: 'Authentication error' }] },
      },
    ]);
    const error = await failure(findRoute(target, 'support'));
    expect(seen).toHaveLength(1);
    expect(error.status).toBe(403);
    expect(error.message).toContain('Authentication error (code 10000)');
  });

  it('does not retry a 429, and says the API is blocked for a while', async () => {
    const { target, seen } = await serve([
      {
        status: 429,
        body: { success: false, errors: [], result: null },
      },
    ]);
    const error = await failure(findRoute(target, 'support'));
    expect(seen).toHaveLength(1);
    expect(error.status).toBe(429);
    expect(error.message).toContain('five minutes');
  });

  it('sends a write once: a 5xx may have been applied, so it says to check first', async () => {
    const { target, seen } = await serve([unavailable]);
    const error = await failure(createRoute(target, definition as never));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(error.message).toContain('switchyard routes diff');
  });

  it('retries a read when nothing answers, then names the host', async () => {
    const { target } = await serve([emptyList]);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const error = await failure(findRoute(target, 'support'));
    expect(error.status).toBe(0);
    expect(error.message).toContain('failed 3 times');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(new URL(target.apiUrl).host);
  });
});
