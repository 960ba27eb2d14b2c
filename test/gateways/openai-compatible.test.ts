/**
 * Any OpenAI-compatible endpoint through the router: `baseURL` as written, an optional bearer
 * key (no `Authorization` at all without one), static `headers`, embeddings.
 */
import { describe, expect, it } from 'vitest';
import {
  gatewayHeaders,
  onlyRequest,
  routerFromYaml,
  secrets,
  standardEmulatorOptions,
  startStandardFixture,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

describe('OpenAI-compatible', () => {
  it('with apiKey: exact URL, body, Authorization: Bearer <key> and nothing else', async () => {
    const { emulator, router } = await startStandardFixture();
    const completion = await router.chat.completions.create({
      model: 'local',
      messages: user('hello local'),
    });
    expect(completion.choices[0]?.message.content).toBe('Echo from llama3.2:3b: hello local');
    const request = onlyRequest(emulator);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${emulator.url}/local/v1/chat/completions`);
    expect(request.body).toEqual({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hello local' }],
    });
    expect(gatewayHeaders(request)).toEqual({ authorization: `Bearer ${secrets.localKey}` });
    expect(request.headers['x-stainless-retry-count']).toBe('0');
    expect(request.credential).toBe('request');
  });

  it('without apiKey: no Authorization header at all (not an empty or placeholder bearer)', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'local-open', messages: user('hi') });
    const request = onlyRequest(emulator);
    expect(request.url).toBe(`${emulator.url}/open/v1/chat/completions`);
    expect(request.body).toEqual({ model: 'qwen2.5', messages: [{ role: 'user', content: 'hi' }] });
    expect(gatewayHeaders(request)).toEqual({});
    expect(JSON.stringify(request.headers)).not.toContain('switchyard-no-key');
    expect(request.credential).toBe('none');
  });

  it('static gateway headers are sent (lower-cased), upstream params merged under the request', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(`
version: 1
gateways:
  proxy:
    type: openai-compatible
    baseURL: ${emulator.url}/proxy/v1
    apiKey: \${LOCAL_KEY}
    headers: { X-Proxy-Auth: "\${PROXY_SECRET}", X-Team: search }
upstreams:
  m: { gateway: proxy, model: my-model, params: { temperature: 0, stop: ["\\n\\n"] } }
models:
  m: m
`);
    await router.chat.completions.create({ model: 'm', messages: user('hi'), temperature: 1 });
    const request = onlyRequest(emulator);
    expect(request.path).toBe('/proxy/v1/chat/completions');
    expect(request.body).toEqual({
      model: 'my-model',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 1,
      stop: ['\n\n'],
    });
    expect(gatewayHeaders(request)).toEqual({
      authorization: `Bearer ${secrets.localKey}`,
      'x-proxy-auth': secrets.headerSecret,
      'x-team': 'search',
    });
  });

  it('embeddings through an alias, with and without a key', async () => {
    const { emulator, router } = await startStandardFixture();
    const keyed = await router.embeddings.create({ model: 'local:nomic-embed-text', input: 'a' });
    const open = await router.embeddings.create({
      model: 'local-open:nomic-embed-text',
      input: 'a',
    });
    // Same input, same deterministic vector, whichever route served it.
    expect(keyed.data[0]?.embedding).toEqual(open.data[0]?.embedding);
    const [first, second] = emulator.requests;
    expect(first?.path).toBe('/local/v1/embeddings');
    expect(first?.body).toMatchObject({ model: 'nomic-embed-text', input: 'a' });
    expect(first === undefined ? undefined : gatewayHeaders(first)).toEqual({
      authorization: `Bearer ${secrets.localKey}`,
    });
    expect(second?.path).toBe('/open/v1/embeddings');
    expect(second === undefined ? undefined : gatewayHeaders(second)).toEqual({});
  });
});
