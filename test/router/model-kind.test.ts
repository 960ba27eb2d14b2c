/**
 * What a model serves: an upstream declares `kind: chat | embeddings`, or its model string implies
 * it ("embed" in the name); an alias serves its upstreams' kind. A call of the other kind is
 * refused before anything is sent, and the plan shows the endpoint the call would use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { ConfigError, createRouter, isRouterError, parseConfig } from '../../src/index.ts';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const config = (baseURL: string, extra = '') => `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${baseURL}/v1", apiKey: k }
upstreams:
  mini: { gateway: local, model: gpt-4o-mini, kind: chat }
  small-embed: { gateway: local, model: text-embedding-3-small }
  vectors: { gateway: local, model: bge-base-en, kind: embeddings }
  anything: { gateway: local, model: llama3 }
models:
  fast: mini
  embed: { targets: [small-embed, vectors] }
  loose: anything
${extra}`;

describe('model kinds', () => {
  it('are declared or implied, and the plan uses the matching endpoint', () => {
    const table = parseConfig(config('http://127.0.0.1:9'), { env: {} });
    expect(table.upstreams['mini']?.kind).toBe('chat');
    expect(table.upstreams['small-embed']?.kind).toBe('embeddings');
    expect(table.upstreams['anything']?.kind).toBeUndefined();
    const router = createRouter(table, { env: {} });
    const embed = router.resolve('embed');
    expect(embed.serves).toBe('embeddings');
    expect(embed.targets.map((target) => target.url)).toEqual([
      'http://127.0.0.1:9/v1/embeddings',
      'http://127.0.0.1:9/v1/embeddings',
    ]);
    expect(router.resolve('fast').targets[0]?.url).toBe('http://127.0.0.1:9/v1/chat/completions');
    expect(router.resolve('loose').serves).toBeUndefined();
  });

  it('a chain that mixes kinds is a config error naming both sides', () => {
    let caught: unknown;
    try {
      parseConfig(config('http://127.0.0.1:9', '  mixed: { targets: [mini, small-embed] }\n'), {
        env: {},
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const issue = (caught as ConfigError).issues[0];
    expect(issue).toMatchObject({ code: 'INVALID_VALUE', path: ['models', 'mixed', 'targets'] });
    expect(issue?.message).toContain(
      'alias "mixed" mixes chat upstreams (mini) and embeddings upstreams (small-embed)',
    );
  });

  it('a call of the other kind is refused before any request; the right one goes through', async () => {
    emulator = await startEmulator();
    const router = createRouter(parseConfig(config(emulator.url), { env: {} }), { env: {} });
    const refused = await router.chat.completions
      .create({ model: 'embed', messages: [{ role: 'user', content: 'hello' }] })
      .catch((error: unknown) => error);
    expect(isRouterError(refused) && refused.code).toBe('INVALID_REQUEST');
    expect((refused as Error).message).toBe(
      'alias "embed" serves embeddings, so router.chat.completions.create cannot use it: call router.embeddings.create, or name an alias of chat models',
    );
    const wrongWay = await router.embeddings
      .create({ model: 'fast', input: 'hello' })
      .catch((error: unknown) => error);
    expect(isRouterError(wrongWay) && wrongWay.code).toBe('INVALID_REQUEST');
    expect(emulator.requests).toHaveLength(0);

    const vectors = await router.embeddings.create({ model: 'embed', input: 'hello' });
    expect(vectors.data[0]?.embedding.length).toBeGreaterThan(0);
    const answer = await router.chat.completions.create({
      model: 'loose',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]?.message.content).toContain('hi');
    expect(emulator.requests.map((request) => request.path)).toEqual([
      '/v1/embeddings',
      '/v1/chat/completions',
    ]);
    await router.close();
  });
});
