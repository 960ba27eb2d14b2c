/**
 * Vercel AI Gateway through the router: `baseURL` + `/chat/completions`, bearer auth, routing as
 * `providerOptions.gateway` in the body, attribution as `http-referer` / `x-title`.
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

const vercelYaml = (url: string) => `
version: 1
gateways:
  vercel:
    type: vercel
    apiKey: \${VERCEL_KEY}
    baseURL: ${url}/v1
    options:
      routing: { order: [anthropic, bedrock], only: [anthropic, bedrock, vertex] }
      attribution: { url: "https://app.example.com", title: Example App }
upstreams:
  sonnet:
    gateway: vercel
    model: anthropic/claude-sonnet-4.5
    params: { max_tokens: 256, temperature: 0.1 }
  sonnet-fallbacks:
    gateway: vercel
    model: anthropic/claude-sonnet-4.5
    options:
      routing: { order: [vertex], models: [openai/gpt-5, xai/grok-4.1-fast-non-reasoning] }
models:
  smart: sonnet
  sturdy:
    targets: [sonnet-fallbacks]
    options:
      routing: { sort: cost }
`;

describe('Vercel AI Gateway', () => {
  it('one chat completion: exact URL, body with providerOptions.gateway, headers present and absent', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(vercelYaml(emulator.url));

    const completion = await router.chat.completions.create({
      model: 'smart',
      messages: user('hello vercel'),
      temperature: 0.7,
    });

    expect(completion.choices[0]?.message.content).toBe(
      'Echo from anthropic/claude-sonnet-4.5: hello vercel',
    );
    const request = onlyRequest(emulator);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${emulator.url}/v1/chat/completions`);
    expect(request.body).toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      messages: [{ role: 'user', content: 'hello vercel' }],
      max_tokens: 256,
      temperature: 0.7,
      providerOptions: {
        gateway: { order: ['anthropic', 'bedrock'], only: ['anthropic', 'bedrock', 'vertex'] },
      },
    });
    expect(gatewayHeaders(request)).toEqual({
      authorization: `Bearer ${secrets.vercelKey}`,
      'http-referer': 'https://app.example.com',
      'x-title': 'Example App',
    });
    expect(request.headers['x-stainless-retry-count']).toBe('0');
  });

  it('routing merges by key across gateway, upstream and alias (the more specific wins)', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(vercelYaml(emulator.url));
    await router.chat.completions.create({ model: 'sturdy', messages: user('hi') });
    expect((onlyRequest(emulator).body as Record<string, unknown>)['providerOptions']).toEqual({
      gateway: {
        order: ['vertex'],
        only: ['anthropic', 'bedrock', 'vertex'],
        models: ['openai/gpt-5', 'xai/grok-4.1-fast-non-reasoning'],
        sort: 'cost',
      },
    });
  });

  it('without routing or attribution: no providerOptions, only the bearer key', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'vercel', messages: user('hi') });
    const request = onlyRequest(emulator);
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.body).toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(gatewayHeaders(request)).toEqual({ authorization: `Bearer ${secrets.vercelKey}` });
  });

  it('embeddings through an alias go to baseURL/embeddings with the bearer key', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(`
version: 1
gateways:
  vercel: { type: vercel, apiKey: "\${VERCEL_KEY}", baseURL: "${emulator.url}/v1" }
models:
  embed: vercel:openai/text-embedding-3-small
`);
    const result = await router.embeddings.create({
      model: 'embed',
      input: 'hello',
      dimensions: 4,
    });
    expect(result.data[0]?.embedding).toHaveLength(4);
    const request = onlyRequest(emulator);
    expect(request.path).toBe('/v1/embeddings');
    expect(request.body).toMatchObject({
      model: 'openai/text-embedding-3-small',
      input: 'hello',
      dimensions: 4,
    });
    expect(gatewayHeaders(request)).toEqual({ authorization: `Bearer ${secrets.vercelKey}` });
  });
});
