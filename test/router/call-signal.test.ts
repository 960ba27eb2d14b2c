/**
 * One deadline, the caller's abort and `close()` hold on calls that pass no `signal` of their
 * own: the router never hands the SDK a per-request signal; the call's signal reaches `fetch`
 * below it. Each case checks the outcome (the error's code and attempts) and that the stop
 * reached the wire (the server sees the request's connection close), before and after the
 * response headers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type Router, type RouterError } from '../../src/index.ts';

type Hold = { closed: Promise<void> };

/** A server whose `/hang` never answers and whose `/stall` sends headers and half a body. */
async function startHoldingServer() {
  const held: Hold[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const closed = new Promise<void>((resolve) => response.on('close', () => resolve()));
    held.push({ closed });
    request.resume();
    if (request.url?.startsWith('/stall/') === true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":"chatcmpl-1","object":"chat.completion","choices":[');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    held,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function setup(totalMs: number): Promise<{ router: Router; held: Hold[] }> {
  const server = await startHoldingServer();
  const table = parseConfig(
    `version: 1
gateways:
  hang: { type: openai-compatible, baseURL: ${server.url}/hang/v1, apiKey: "\${KEY}" }
  stall: { type: openai-compatible, baseURL: ${server.url}/stall/v1, apiKey: "\${KEY}" }
upstreams:
  hung: { gateway: hang, model: m }
  stalled: { gateway: stall, model: m }
models:
  hung: { targets: [hung], timeout: ${totalMs}ms }
  stalled: { targets: [stalled], timeout: ${totalMs}ms }
`,
    { env: { KEY: 'sk-test-key-0001' } },
  );
  const router = createRouter(table, { health: false });
  cleanup.push(
    () => router.close(),
    () => server.close(),
  );
  return { router, held: server.held };
}

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

async function failure(promise: Promise<unknown>): Promise<RouterError & { attempts: unknown[] }> {
  try {
    await promise;
  } catch (error) {
    return error as RouterError & { attempts: unknown[] };
  }
  throw new Error('the call succeeded');
}

async function requestArrived(held: Hold[]): Promise<Hold> {
  await expect.poll(() => held.length).toBe(1);
  return held[0] as Hold;
}

describe('a call with no signal of its own', () => {
  it('ends at its deadline while waiting for headers, and the request is cut', async () => {
    const { router, held } = await setup(300);
    const error = await failure(router.chat.completions.create(ask('hung')));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.attempts).toMatchObject([{ errorClass: 'timeout', decision: 'fail' }]);
    await (held[0] as Hold).closed;
  });

  it('ends at its deadline when the body stalls after the headers', async () => {
    const { router, held } = await setup(300);
    const error = await failure(router.chat.completions.create(ask('stalled')));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.attempts).toMatchObject([{ message: 'the call deadline passed' }]);
    await (held[0] as Hold).closed;
  });

  it('is ended by close() in flight, and its request is cut', async () => {
    const { router, held } = await setup(60_000);
    const call = failure(router.chat.completions.create(ask('hung')));
    const hold = await requestArrived(held);
    await router.close();
    expect((await call).code).toBe('ROUTER_CLOSED');
    await hold.closed;
  });

  it('is ended by close() while its body stalls', async () => {
    const { router, held } = await setup(60_000);
    const call = failure(router.chat.completions.create(ask('stalled')));
    const hold = await requestArrived(held);
    await router.close();
    expect((await call).code).toBe('ROUTER_CLOSED');
    await hold.closed;
  });
});

describe('a streamed call with no signal of its own', () => {
  const streamed = (model: string) => ({ ...ask(model), stream: true as const });

  it('ends at its deadline while waiting for headers, and the request is cut', async () => {
    const { router, held } = await setup(300);
    const error = await failure(router.chat.completions.create(streamed('hung')));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    await (held[0] as Hold).closed;
  });

  it('ends at its deadline when the body stalls before any content', async () => {
    const { router, held } = await setup(300);
    const error = await failure(router.chat.completions.create(streamed('stalled')));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    await (held[0] as Hold).closed;
  });

  it('is ended by close() before its first content, and its request is cut', async () => {
    const { router, held } = await setup(60_000);
    const call = failure(router.chat.completions.create(streamed('stalled')));
    const hold = await requestArrived(held);
    await router.close();
    expect((await call).code).toBe('ROUTER_CLOSED');
    await hold.closed;
  });

  it('is aborted by the caller signal before its first content, and its request is cut', async () => {
    const { router, held } = await setup(60_000);
    const controller = new AbortController();
    const call = failure(
      router.chat.completions.create(streamed('hung'), { signal: controller.signal }),
    );
    const hold = await requestArrived(held);
    controller.abort(new Error('user went away'));
    const error = await call;
    expect(error.code).toBe('ABORTED');
    await hold.closed;
  });
});

describe('a caller signal', () => {
  it('aborts a call waiting for headers, and the request is cut', async () => {
    const { router, held } = await setup(60_000);
    const controller = new AbortController();
    const call = failure(
      router.chat.completions.create(ask('hung'), { signal: controller.signal }),
    );
    const hold = await requestArrived(held);
    controller.abort(new Error('user went away'));
    expect((await call).code).toBe('ABORTED');
    await hold.closed;
  });

  it('aborts a call whose body stalls after the headers', async () => {
    const { router, held } = await setup(60_000);
    const controller = new AbortController();
    const call = failure(
      router.chat.completions.create(ask('stalled'), { signal: controller.signal }),
    );
    const hold = await requestArrived(held);
    controller.abort(new Error('user went away'));
    const error = await call;
    expect(error.code).toBe('ABORTED');
    expect((error.cause as Error).message).toBe('user went away');
    await hold.closed;
  });

  it('already aborted: nothing is sent', async () => {
    const { router, held } = await setup(60_000);
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      router.chat.completions.create(ask('hung'), { signal: controller.signal }),
    );
    expect(error.code).toBe('ABORTED');
    expect(held).toHaveLength(0);
  });
});
