import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { userMessage } from './helpers.ts';

let emulator: Emulator;
let keyed: Emulator;
let open: Emulator;

beforeAll(async () => {
  [emulator, keyed, open] = await Promise.all([
    startEmulator(),
    startEmulator({ apiKeys: ['sk-good'] }),
    startEmulator({ allowMissingApiKey: true, apiKeys: ['sk-good'] }),
  ]);
});

afterAll(async () => {
  await Promise.all([emulator.close(), keyed.close(), open.close()]);
});

const client = (options: {
  target: Emulator;
  basePath: string;
  apiKey?: string;
  removeAuth?: boolean;
}) =>
  new OpenAI({
    apiKey: options.apiKey ?? 'sk-any',
    baseURL: `${options.target.url}${options.basePath}`,
    maxRetries: 0,
    organization: null,
    project: null,
    ...(options.removeAuth === true ? { defaultHeaders: { Authorization: null } } : {}),
  });

describe('OpenAI-compatible routes', () => {
  it.each([
    ['Vercel', '/v1'],
    ['OpenRouter', '/api/v1'],
    ['a local server', '/openai/v1'],
  ])('serves %s-style paths (%s)', async (_name, basePath) => {
    const completion = await client({ target: emulator, basePath }).chat.completions.create({
      model: 'anthropic/claude-sonnet-4.5',
      messages: userMessage('hi'),
    });
    expect(completion.choices[0]?.message.content).toBe(
      'Echo from anthropic/claude-sonnet-4.5: hi',
    );
    const recorded = emulator.requests.at(-1);
    expect(recorded).toMatchObject({
      kind: 'openai-compatible',
      path: `${basePath}/chat/completions`,
      credential: 'request',
      status: 200,
    });
    expect(recorded).not.toHaveProperty('accountId');
  });

  it('accepts models without a provider prefix', async () => {
    const completion = await client({ target: emulator, basePath: '/v1' }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: userMessage('hi'),
    });
    expect(completion.model).toBe('gpt-4o-mini');
  });

  it('serves embeddings', async () => {
    const result = await client({ target: emulator, basePath: '/api/v1' }).embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['a', 'b', 'c'],
    });
    expect(result.data).toHaveLength(3);
  });

  it('requires a bearer key by default', async () => {
    const error = await client({ target: emulator, basePath: '/v1', removeAuth: true })
      .chat.completions.create({ model: 'm', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'missing_api_key' });
    const empty = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer ' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(empty.status).toBe(401);
  });

  it('checks keys against apiKeys with an OpenAI-shaped 401', async () => {
    const response = await fetch(`${keyed.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-bad' },
      body: JSON.stringify({ model: 'm', messages: userMessage('hi') }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        message: 'Incorrect API key provided.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    await expect(
      client({ target: keyed, basePath: '/v1', apiKey: 'sk-good' }).chat.completions.create({
        model: 'm',
        messages: userMessage('hi'),
      }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('serves without Authorization when allowMissingApiKey is set, but still checks sent keys', async () => {
    const { response } = await client({ target: open, basePath: '/v1', removeAuth: true })
      .chat.completions.create({ model: 'm', messages: userMessage('hi') })
      .withResponse();
    expect(response.headers.get('x-emulator-credential')).toBe('none');
    expect(open.requests.at(-1)?.credential).toBe('none');
    await expect(
      client({ target: open, basePath: '/v1', apiKey: 'sk-bad' }).chat.completions.create({
        model: 'm',
        messages: userMessage('hi'),
      }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('unknown paths and methods', () => {
  it('answers 404 JSON for unknown paths, and logs the request', async () => {
    const response = await fetch(`${emulator.url}/v1/models`, {
      headers: { authorization: 'Bearer sk' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(emulator.requests.at(-1)).toMatchObject({
      kind: 'unknown',
      path: '/v1/models',
      status: 404,
    });
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers 405 with Allow: POST for %s', async (method) => {
    const response = await fetch(`${emulator.url}/v1/acct/gw/compat/chat/completions`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });
});
