/**
 * The Node adapter's connection hygiene, over real sockets on 127.0.0.1: silent or trickling
 * clients are closed within the header timeout, a body that stalls gets 408 within the request
 * timeout while a long stream is never cut by it, the connection cap holds, the route comes from
 * the path only (never the Host header), methods no route takes get 405, and a stream still open
 * at shutdown ends with the error event rather than a cut connection.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeStack, startServeStack } from './helpers.ts';

/** A raw connection: what it received, and when it closed. */
type RawConnection = {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
};

function openRaw(url: string, send?: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      if (send !== undefined) socket.write(send);
      resolve({ socket, received: () => text, closed });
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) =>
      socket.once('close', () => done(performance.now() - started)),
    );
    socket.once('error', reject);
  });
}

const chatBody = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });

describe('timeouts', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack({
      server: { headersTimeoutMs: 300, requestTimeoutMs: 400, keepAliveTimeoutMs: 200 },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a silent connection and half-sent headers are closed within the header timeout', async () => {
    const silent = await openRaw(stack.server.url);
    const trickle = await openRaw(stack.server.url, 'POST /v1/chat/completions HTTP/1.1\r\n');
    // Keep trickling header bytes: activity must not extend the deadline.
    const drip = setInterval(() => trickle.socket.write('X-A: b\r\n'), 50);
    try {
      // 300 ms timeout; the bound is generous for a loaded machine but far below "never".
      expect(await silent.closed).toBeLessThan(5_000);
      expect(await trickle.closed).toBeLessThan(5_000);
    } finally {
      clearInterval(drip);
    }
    await expect.poll(() => stack.server.connections).toBe(0);
  });

  it('a body that stalls gets 408 within the request timeout', async () => {
    const stalled = await openRaw(
      stack.server.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${chatBody.length}\r\n\r\n${chatBody.slice(0, 10)}`,
    );
    expect(await stalled.closed).toBeLessThan(5_000);
    expect(stalled.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(stalled.received()).toContain('"code":"request_timeout"');
    expect(stack.emulator.requests).toHaveLength(0);
  });

  it('a stream that runs longer than the request timeout is not cut by it', async () => {
    stack.emulator.inject({
      times: 1,
      fault: { type: 'stream-stall', afterChunks: 1, ms: 1_200 },
    });
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fast',
        stream: true,
        messages: [{ role: 'user', content: 'a b c' }],
      }),
    });
    const text = await response.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('an idle kept-alive connection is closed, not held', async () => {
    const kept = await openRaw(
      stack.server.url,
      'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n',
    );
    expect(await kept.closed).toBeLessThan(5_000);
    expect(kept.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('the connection cap', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack({ server: { maxConnections: 4, headersTimeoutMs: 20_000 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('connections past the cap are closed at once; the ones held keep working', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => openRaw(stack.server.url)));
    await expect.poll(() => stack.server.connections).toBe(4);
    const extra = await openRaw(stack.server.url, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n');
    // Closed without an answer, long before the 20 s header timeout.
    expect(await extra.closed).toBeLessThan(10_000);
    expect(extra.received()).toBe('');
    expect(stack.server.connections).toBe(4);
    // A held connection is still served.
    const first = held[0] as RawConnection;
    first.socket.write('GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await first.closed;
    expect(first.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const connection of held) connection.socket.destroy();
    await expect.poll(() => stack.server.connections).toBe(0);
    expect((await fetch(`${stack.server.url}/healthz`)).status).toBe(200);
  });
});

describe('routing', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const rawRequest = async (head: string, body = '') => {
    const connection = await openRaw(
      stack.server.url,
      `${head}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    await connection.closed;
    return connection.received();
  };

  it('the Host header cannot pick a route', async () => {
    stack.emulator.clearRequests();
    const answer = await rawRequest(
      'POST /healthz HTTP/1.1\r\nHost: x/v1/chat/completions?',
      chatBody,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    const odd = await rawRequest(
      'POST /nothing HTTP/1.1\r\nHost: 127.0.0.1/v1/chat/completions#',
      chatBody,
    );
    expect(odd).toMatch(/^HTTP\/1\.1 404 /);
    expect(stack.emulator.requests).toHaveLength(0);
  });

  it('an absolute-form target is routed by its path', async () => {
    const answer = await rawRequest(
      'POST http://elsewhere.example/v1/chat/completions HTTP/1.1\r\nHost: elsewhere.example',
      chatBody,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('TRACE gets 405 with Allow, in OpenAI error shape', async () => {
    const answer = await rawRequest('TRACE /v1/chat/completions HTTP/1.1\r\nHost: a');
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toMatch(/\r\nallow: GET, HEAD, POST, OPTIONS\r\n/i);
    expect(answer).toContain('"code":"method_not_allowed"');
  });
});

describe('shutdown', () => {
  it('a stream open at shutdown ends with the error event, not a cut connection', async () => {
    const stack = await startServeStack();
    try {
      stack.emulator.inject({ times: 1, fault: { type: 'stream-stall', afterChunks: 1 } });
      const response = await fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'fast',
          stream: true,
          messages: [{ role: 'user', content: 'a b' }],
        }),
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      const closing = stack.server.close({
        graceMs: 100,
        beforeCutOff: () => stack.router.close(),
      });
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(await closing).toEqual({ cutOff: 1 });
      const last = text.trimEnd().split('\n\n').at(-1) ?? '';
      expect(last).toMatch(/^data: \{"error":/);
      expect(last).not.toContain('[DONE]');
      expect(last).toContain('"code":"shutting_down"');
    } finally {
      await stack.close();
    }
  });
});
