/**
 * OpenRouter through the router: `baseURL` + `/chat/completions`, bearer auth, provider routing
 * as the snake_case `provider` body object, attribution as `HTTP-Referer`, `X-OpenRouter-Title`
 * and the older `X-Title`.
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

const openrouterYaml = (url: string) => `
version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: \${OPENROUTER_KEY}
    baseURL: ${url}/api/v1
    options:
      routing:
        order: [anthropic, amazon-bedrock]
        allowFallbacks: false
        requireParameters: true
        dataCollection: deny
      attribution: { url: "https://app.example.com", title: Example App }
upstreams:
  sonnet:
    gateway: openrouter
    model: anthropic/claude-sonnet-4.5
    params: { max_tokens: 128, transforms: [middle-out] }
models:
  smart: sonnet
  cheap:
    targets: [sonnet]
    options:
      routing: { sort: price, ignore: [azure], quantizations: [fp8] }
`;

describe('OpenRouter', () => {
  it('one chat completion: exact URL, body with provider routing, headers present and absent', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(openrouterYaml(emulator.url));

    const completion = await router.chat.completions.create({
      model: 'smart',
      messages: user('hello openrouter'),
      max_tokens: 32,
    });

    expect(completion.choices[0]?.message.content).toBe(
      'Echo from anthropic/claude-sonnet-4.5: hello openrouter',
    );
    const request = onlyRequest(emulator);
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${emulator.url}/api/v1/chat/completions`);
    expect(request.body).toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      messages: [{ role: 'user', content: 'hello openrouter' }],
      max_tokens: 32,
      transforms: ['middle-out'],
      provider: {
        order: ['anthropic', 'amazon-bedrock'],
        allow_fallbacks: false,
        require_parameters: true,
        data_collection: 'deny',
      },
    });
    expect(gatewayHeaders(request)).toEqual({
      authorization: `Bearer ${secrets.openrouterKey}`,
      'http-referer': 'https://app.example.com',
      'x-openrouter-title': 'Example App',
      'x-title': 'Example App',
    });
    expect(request.headers['x-stainless-retry-count']).toBe('0');
  });

  it('alias routing merges over the gateway routing, in snake_case on the wire', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(openrouterYaml(emulator.url));
    await router.chat.completions.create({ model: 'cheap', messages: user('hi') });
    expect((onlyRequest(emulator).body as Record<string, unknown>)['provider']).toEqual({
      order: ['anthropic', 'amazon-bedrock'],
      allow_fallbacks: false,
      require_parameters: true,
      data_collection: 'deny',
      sort: 'price',
      ignore: ['azure'],
      quantizations: ['fp8'],
    });
  });

  it('a request that sets its own provider object wins over the configured one', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(openrouterYaml(emulator.url));
    await router.chat.completions.create({
      model: 'smart',
      messages: user('hi'),
      // @ts-expect-error OpenRouter's body field is not in the OpenAI types
      provider: { order: ['openai'] },
    });
    expect((onlyRequest(emulator).body as Record<string, unknown>)['provider']).toEqual({
      order: ['openai'],
    });
  });

  it('without routing or attribution: no provider object, only the bearer key', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'openrouter', messages: user('hi') });
    const request = onlyRequest(emulator);
    expect(request.path).toBe('/api/v1/chat/completions');
    expect(request.body).toEqual({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(gatewayHeaders(request)).toEqual({ authorization: `Bearer ${secrets.openrouterKey}` });
  });
});
