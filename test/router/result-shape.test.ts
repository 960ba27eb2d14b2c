/**
 * A router's result is exactly what the SDK returns: the same keys (symbols included), the same
 * JSON, nothing the router keeps on it; the route is on the promise (`withRoute()`), not on the
 * value.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type Router } from '../../src/index.ts';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'hi' },
      finish_reason: 'stop',
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

let url = '';
let close: () => Promise<void> = async () => undefined;
let router: Router;
beforeAll(async () => {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      response.end(JSON.stringify(completion));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  router = createRouter(
    parseConfig(
      `version: 1
gateways:
  local: { type: openai-compatible, baseURL: ${url}/v1, apiKey: "\${KEY}" }
upstreams:
  only: { gateway: local, model: m }
models:
  plain: only
`,
      { env: { KEY: 'sk-test-key-0001' } },
    ),
    { health: false },
  );
});
afterAll(async () => {
  await router.close();
  await close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('the result', () => {
  it('is the SDK’s own completion, with the route beside it rather than on it', async () => {
    const { data: routed, route } = await router.chat.completions
      .create({ ...ask, model: 'plain' })
      .withRoute();
    const direct = await new OpenAI({
      apiKey: 'sk-test-key-0001',
      baseURL: `${url}/v1`,
      maxRetries: 0,
    }).chat.completions.create({ ...ask, model: 'm' });
    expect(route).toMatchObject({ model: 'plain', upstream: 'only' });
    expect(route.gatewayIds['x-request-id']).toBe('req_1');
    expect(Reflect.ownKeys(routed)).toEqual(Reflect.ownKeys(direct));
    expect(JSON.stringify(routed)).toBe(JSON.stringify(direct));
    expect(routed).toEqual(direct);
  });
});
