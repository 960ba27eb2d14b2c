/**
 * The access policy of `switchyard serve`, over real HTTP with the `openai` client against the
 * emulator: with client keys only aliases are served (unless `serve.directModels`), a key limited
 * to some aliases sees and calls those only, and a body field the config sets for an upstream
 * (params, OpenRouter's `provider` routing) cannot be set by a client unless
 * `serve.clientOverrides` says so.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { type ServeStack, startServeStack, upstreamKey } from './helpers.ts';

/** `fast` sets temperature; `private` goes to OpenRouter with data_collection: deny. */
function policyYaml(serveSection: string) {
  return (url: string) => `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: ${url}/v1, apiKey: "\${UPSTREAM_KEY}" }
  openrouter:
    type: openrouter
    apiKey: \${UPSTREAM_KEY}
    baseURL: ${url}/api/v1
    options: { routing: { dataCollection: deny } }
upstreams:
  primary: { gateway: local, model: primary-model, params: { temperature: 0.1 } }
  private: { gateway: openrouter, model: openai/gpt-4o-mini }
models:
  fast: { targets: [primary], retry: { attempts: 1 } }
  private: private
${serveSection}
`;
}

const keys = ['all-key', { key: 'fast-key', models: ['fast'] }];
const messages = [{ role: 'user' as const, content: 'hi' }];

async function statusOf(promise: Promise<unknown>): Promise<{ status?: number; code?: unknown }> {
  try {
    await promise;
    return {};
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    return { status: error.status, code: error.code };
  }
}

describe('with client keys and the default policy', () => {
  let stack: ServeStack;
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: stack.baseURL, maxRetries: 0 });
  beforeAll(async () => {
    stack = await startServeStack({ yaml: policyYaml(''), handler: { keys } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => stack.emulator.clearRequests());

  it('<gateway>:<model> is refused with 403; the upstream is never asked', async () => {
    const refused = await statusOf(
      client('all-key').chat.completions.create({ model: 'local:any-model', messages }),
    );
    expect(refused).toEqual({ status: 403, code: 'model_not_allowed' });
    expect(stack.emulator.requests).toHaveLength(0);
    const served = await client('all-key').chat.completions.create({ model: 'fast', messages });
    expect(served.choices[0]?.message.content).toBeTruthy();
  });

  it('a key limited to some aliases sees and calls only those', async () => {
    const limited = client('fast-key');
    const listed = await limited.models.list();
    expect(listed.data.map((model) => model.id)).toEqual(['fast']);
    expect((await limited.models.retrieve('fast')).id).toBe('fast');
    expect(await statusOf(limited.models.retrieve('private'))).toMatchObject({ status: 404 });
    expect(await statusOf(limited.chat.completions.create({ model: 'private', messages }))).toEqual(
      { status: 403, code: 'model_not_allowed' },
    );
    const all = await client('all-key').models.list();
    expect(all.data.map((model) => model.id)).toEqual(['fast', 'private']);
    expect(stack.emulator.requests).toHaveLength(0);
  });

  it('a client cannot override a body field the config sets', async () => {
    const temperature = await statusOf(
      client('all-key').chat.completions.create({ model: 'fast', messages, temperature: 1.5 }),
    );
    expect(temperature).toEqual({ status: 400, code: 'param_not_allowed' });
    const provider = await statusOf(
      client('all-key').chat.completions.create({
        model: 'private',
        messages,
        // @ts-expect-error OpenRouter's body field, not in OpenAI's types
        provider: { data_collection: 'allow' },
      }),
    );
    expect(provider).toEqual({ status: 400, code: 'param_not_allowed' });
    expect(stack.emulator.requests).toHaveLength(0);
    // Without the field, the config's value is what the gateway gets.
    await client('all-key').chat.completions.create({ model: 'private', messages });
    expect(stack.emulator.requests[0]?.body).toMatchObject({
      provider: { data_collection: 'deny' },
    });
  });
});

describe('a config that opts in', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack({
      yaml: policyYaml('serve:\n  directModels: true\n  clientOverrides: [temperature]'),
      handler: { keys: ['all-key'] },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves <gateway>:<model> and lets the listed fields through', async () => {
    const client = new OpenAI({ apiKey: 'all-key', baseURL: stack.baseURL, maxRetries: 0 });
    await client.chat.completions.create({ model: 'local:any-model', messages });
    await client.chat.completions.create({ model: 'fast', messages, temperature: 1.5 });
    expect(stack.emulator.requests.map((request) => request.body)).toMatchObject([
      { model: 'any-model' },
      { model: 'primary-model', temperature: 1.5 },
    ]);
    // provider is still the config's.
    const provider = await statusOf(
      client.chat.completions.create({
        model: 'private',
        messages,
        // @ts-expect-error OpenRouter's body field, not in OpenAI's types
        provider: { data_collection: 'allow' },
      }),
    );
    expect(provider).toEqual({ status: 400, code: 'param_not_allowed' });
  });
});

describe('without client keys (loopback)', () => {
  it('every name is served; config-set fields stay locked', async () => {
    const stack = await startServeStack({
      yaml: policyYaml(''),
      emulator: { apiKeys: [upstreamKey] },
    });
    try {
      const client = new OpenAI({ apiKey: 'unused', baseURL: stack.baseURL, maxRetries: 0 });
      await client.chat.completions.create({ model: 'local:any-model', messages });
      expect(
        await statusOf(client.chat.completions.create({ model: 'fast', messages, temperature: 1 })),
      ).toEqual({ status: 400, code: 'param_not_allowed' });
    } finally {
      await stack.close();
    }
  });
});

describe('serve.keys in the config', () => {
  it('a key limited to an alias that does not exist is a config error naming the aliases', () => {
    const yaml = `${policyYaml('serve:\n  keys: [{ key: k1, models: [fats] }]')('http://127.0.0.1:1')}`;
    let error: unknown;
    try {
      parseConfig(yaml, { env: { UPSTREAM_KEY: 'x' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/unknown alias "fats".*fast/s);
  });
});
