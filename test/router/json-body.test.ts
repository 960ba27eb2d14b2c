/**
 * The router's own reading of a plain chat completion's body, held to the `openai` SDK's: the
 * same responses, sent over HTTP by a local server, read through the SDK's client both ways
 * (the SDK's own parse, and the router's read of the response that same client fetched) give
 * the same value, the same request id and the same error.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { readByRouter } from '../../src/router/json-body.ts';
import { type ScriptedResponse, startScriptedServer } from '../helpers/scripted-server.ts';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
};

const responses: Record<string, ScriptedResponse> = {
  'a JSON object with a request id': { json: completion, headers: { 'x-request-id': 'req_1' } },
  'a JSON object without a request id': { json: completion },
  'JSON with a charset': {
    body: JSON.stringify(completion),
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
  },
  'a +json media type': {
    body: JSON.stringify(completion),
    headers: { 'content-type': 'application/vnd.gateway+json' },
  },
  'a JSON array': { body: '[1, 2]', headers: { 'content-type': 'application/json' } },
  'a JSON string': { body: '"text"', headers: { 'content-type': 'application/json' } },
  'JSON null': { body: 'null', headers: { 'content-type': 'application/json' } },
  'an HTML page': { body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } },
  'no content type': { body: 'plain words' },
  '204 No Content': { status: 204 },
  'content-length 0': {
    body: '',
    headers: { 'content-type': 'application/json', 'content-length': '0' },
  },
  'an empty chunked JSON body': {
    body: '',
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
  },
  'malformed JSON': { body: '{"choices": [', headers: { 'content-type': 'application/json' } },
};

type Outcome = { value?: unknown; requestId?: unknown; error?: { name: string; message: string } };

async function outcomeOf(read: () => PromiseLike<unknown>): Promise<Outcome> {
  try {
    const value = await read();
    const requestId =
      typeof value === 'object' && value !== null
        ? (value as { _request_id?: unknown })._request_id
        : 'none';
    return { value, requestId };
  } catch (error) {
    return { error: { name: (error as Error).name, message: (error as Error).message } };
  }
}

describe('the router reads a plain chat completion as the openai SDK does', () => {
  for (const [name, scripted] of Object.entries(responses)) {
    it(name, async () => {
      const server = await startScriptedServer();
      server.script('m', scripted);
      const client = new OpenAI({
        apiKey: 'sk-test',
        baseURL: `${server.url}/v1`,
        maxRetries: 0,
        logLevel: 'off',
      });
      const create = () =>
        client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      const sdk = await outcomeOf(() => create());
      const router = await outcomeOf(() => readByRouter(create(), client));
      expect(router).toEqual(sdk);
      // The request id is not enumerable, as the SDK makes it.
      if (
        typeof router.value === 'object' &&
        router.value !== null &&
        !Array.isArray(router.value)
      ) {
        expect(Object.keys(router.value)).not.toContain('_request_id');
      }
    });
  }

  it('reads what it should (not only what the SDK reads)', async () => {
    const server = await startScriptedServer();
    server.script('m', responses['a JSON object with a request id'] as ScriptedResponse);
    server.script('broken', responses['malformed JSON'] as ScriptedResponse);
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const request = readByRouter(client.chat.completions.create({ model: 'm', messages }), client);
    const value = (await request) as unknown as typeof completion & { _request_id: string };
    expect(value.choices[0]?.message.content).toBe('hi');
    expect(value._request_id).toBe('req_1');
    // The response stays at hand, as with the SDK's request.
    expect((await request.asResponse()).status).toBe(200);
    const broken = readByRouter(
      client.chat.completions.create({ model: 'broken', messages }),
      client,
    );
    await expect(broken.then()).rejects.toThrow(SyntaxError);
  });

  it("leaves the SDK's own parse in place when the client logs at debug (its log line stays)", () => {
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://127.0.0.1:9/v1',
      logLevel: 'debug',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const pending: Promise<unknown> = Promise.resolve(1);
    const request = Object.assign(pending, { asResponse: () => Promise.resolve(new Response()) });
    expect(readByRouter(request, client)).toBe(request);
  });
});
