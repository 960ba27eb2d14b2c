/**
 * Credentials stay where they belong: the `OPENAI_*` environment variables the `openai` SDK
 * reads on its own never reach a gateway, and each gateway's key or token reaches only that
 * gateway's origin (two emulators on two ports = two origins).
 */
import { describe, expect, it, vi } from 'vitest';
import type { Emulator, RecordedRequest } from '../../src/emulator/index.ts';
import type { Router } from '../../src/router/types.ts';
import {
  routerFromYaml,
  secrets,
  setProcessEnv,
  standardAliases,
  standardConfigYaml,
  standardEmulatorOptions,
  startStandardFixture,
  startTestEmulator,
  user,
  wireText,
} from '../helpers/gateway-harness.ts';

const leaks = {
  OPENAI_API_KEY: 'sk-env-LEAK-apikey',
  OPENAI_ORG_ID: 'org-env-LEAK',
  OPENAI_PROJECT_ID: 'proj-env-LEAK',
  OPENAI_CUSTOM_HEADERS:
    'X-Leak: 1\nAuthorization: Bearer sk-custom-LEAK\ncf-aig-authorization: Bearer cf-custom-LEAK',
};

/** Chat, stream and embeddings through every alias of the standard config. */
async function callEverything(router: Router) {
  for (const alias of standardAliases) {
    await router.chat.completions.create({ model: alias, messages: user('hi') });
    const stream = await router.chat.completions.create({
      model: alias,
      messages: user('hi'),
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }
  }
  await router.embeddings.create({ model: 'cf-stored:openai/text-embedding-3-small', input: 'x' });
  await router.embeddings.create({ model: 'vercel:openai/text-embedding-3-small', input: 'x' });
}

function expectNoLeak(requests: readonly RecordedRequest[], trapUrl: string) {
  for (const request of requests) {
    const text = wireText(request);
    for (const value of ['LEAK', trapUrl]) expect(text).not.toContain(value);
    expect(request.headers).not.toHaveProperty('x-leak');
    expect(request.headers).not.toHaveProperty('openai-organization');
    expect(request.headers).not.toHaveProperty('openai-project');
    expect(request.status).toBe(200);
  }
}

describe('OPENAI_* environment variables never reach a gateway', () => {
  it('with OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID and OPENAI_CUSTOM_HEADERS set', async () => {
    // A trap: OPENAI_BASE_URL points at an emulator of its own, which must see nothing.
    const trap = await startTestEmulator();
    setProcessEnv({ ...leaks, OPENAI_BASE_URL: `${trap.url}/trap/v1` });
    const { emulator, router } = await startStandardFixture();

    await callEverything(router);

    expect(trap.requests).toHaveLength(0);
    expect(emulator.requests).toHaveLength(2 * standardAliases.length + 2);
    expectNoLeak(emulator.requests, trap.url);
    // Each request carried its own gateway's credential, not the environment's.
    const byPath = new Map(emulator.requests.map((request) => [request.path, request.headers]));
    expect(byPath.get('/v1/acct1/byok/compat/chat/completions')).not.toHaveProperty(
      'authorization',
    );
    expect(byPath.get('/open/v1/chat/completions')).not.toHaveProperty('authorization');
    expect(byPath.get('/v1/chat/completions')?.['authorization']).toBe(
      `Bearer ${secrets.vercelKey}`,
    );
    expect(byPath.get('/v1/acct1/authed/compat/chat/completions')?.['cf-aig-authorization']).toBe(
      `Bearer ${secrets.cfAuthedToken}`,
    );
    expect(byPath.get('/api/v1/chat/completions')).not.toHaveProperty('cf-aig-authorization');
  });

  // BUG (src/router/client-pool.ts + create-router.ts): the pool neutralises the header names of
  // `options.env.OPENAI_CUSTOM_HEADERS`, but the `openai` SDK reads `process.env` itself when a
  // client is built. With `createRouter(table, { env: {...} })` (tests, Workers-style config)
  // the process's OPENAI_CUSTOM_HEADERS goes out unneutralised.
  it('OPENAI_CUSTOM_HEADERS in process.env is neutralised even when createRouter gets its own env', async () => {
    setProcessEnv({ OPENAI_CUSTOM_HEADERS: 'X-Leak: 1' });
    const { emulator, router } = await startStandardFixture({ router: { env: {} } });
    await router.chat.completions.create({ model: 'local', messages: user('hi') });
    expect(emulator.requests[0]?.headers).not.toHaveProperty('x-leak');
  });

  // BUG (src/router/client-pool.ts:35): the header names are parsed once, when the router is
  // created, but each SDK client reads OPENAI_CUSTOM_HEADERS when it is built (the first call).
  // A variable set in between (late dotenv loading, a test) leaks.
  it('OPENAI_CUSTOM_HEADERS set after createRouter but before the first call is neutralised', async () => {
    const { emulator, router } = await startStandardFixture();
    setProcessEnv({ OPENAI_CUSTOM_HEADERS: 'X-Leak: 1' });
    await router.chat.completions.create({ model: 'local', messages: user('hi') });
    expect(emulator.requests[0]?.headers).not.toHaveProperty('x-leak');
  });
});

describe('OPENAI_LOG', () => {
  // The SDK reads OPENAI_LOG itself, and at `debug` it prints every request header, redacting
  // only the names it knows (authorization, x-api-key, ...). A gateway `headers:` value — a
  // secret in the config language — under any other name (here X-Gateway-Key) was printed in
  // clear; the client pool now gives each client a logger that blanks its setup's secrets.
  it('OPENAI_LOG=debug does not print a configured header secret', async () => {
    setProcessEnv({ OPENAI_LOG: 'debug' });
    const emulator = await startTestEmulator({ allowMissingApiKey: true });
    const router = routerFromYaml(`
version: 1
gateways:
  proxy:
    type: openai-compatible
    baseURL: "${emulator.url}/v1"
    headers: { X-Gateway-Key: "\${PROXY_SECRET}" }
models:
  m: proxy:m
`);
    const printed: string[] = [];
    const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(JSON.stringify(args));
      }),
    );
    try {
      await router.chat.completions.create({ model: 'm', messages: user('hi') });
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(emulator.requests[0]?.headers['x-gateway-key']).toBe(secrets.headerSecret);
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.join('\n')).not.toContain(secrets.headerSecret);
  });
});

describe('each credential reaches only its own gateway origin', () => {
  const cloudflareSecrets = [
    secrets.cfOpenKey,
    secrets.cfAuthedKey,
    secrets.cfAuthedToken,
    secrets.cfStoredToken,
  ];
  const otherSecrets = [secrets.vercelKey, secrets.openrouterKey, secrets.localKey];

  async function twoOrigins(): Promise<{ a: Emulator; b: Emulator; router: Router }> {
    const a = await startTestEmulator(standardEmulatorOptions());
    const b = await startTestEmulator(standardEmulatorOptions());
    expect(a.origin).not.toBe(b.origin);
    const router = routerFromYaml(standardConfigYaml({ cloudflare: a.url, others: b.url }));
    return { a, b, router };
  }

  it('Cloudflare keys and tokens only at origin A; Vercel, OpenRouter and local keys only at origin B', async () => {
    const { a, b, router } = await twoOrigins();
    await callEverything(router);

    expect(a.requests.map((request) => request.kind)).toEqual(
      Array(a.requests.length).fill('cloudflare'),
    );
    expect(a.requests).toHaveLength(7); // 3 modes × (chat + stream) + embeddings
    expect(b.requests).toHaveLength(9); // 4 gateways × (chat + stream) + embeddings
    for (const request of a.requests) {
      const headers = JSON.stringify(request.headers);
      for (const secret of otherSecrets) expect(headers).not.toContain(secret);
      expect(request.status).toBe(200);
    }
    for (const request of b.requests) {
      const text = wireText(request);
      for (const secret of cloudflareSecrets) expect(text).not.toContain(secret);
      expect(request.headers).not.toHaveProperty('cf-aig-authorization');
      expect(request.status).toBe(200);
    }
    // And each secret was actually used, at its own origin.
    const headersAt = (emulator: Emulator) =>
      emulator.requests.map((request) => JSON.stringify(request.headers)).join('\n');
    for (const secret of cloudflareSecrets) expect(headersAt(a)).toContain(secret);
    for (const secret of otherSecrets) expect(headersAt(b)).toContain(secret);
  });

  it('two gateways of the same type on two origins do not share keys', async () => {
    const a = await startTestEmulator();
    const b = await startTestEmulator();
    const router = routerFromYaml(
      `
version: 1
gateways:
  left: { type: openai-compatible, baseURL: "${a.url}/v1", apiKey: "\${LEFT}" }
  right: { type: openai-compatible, baseURL: "${b.url}/v1", apiKey: "\${RIGHT}" }
models:
  left: left:m
  right: right:m
`,
      { configEnv: { LEFT: 'sk-left-only', RIGHT: 'sk-right-only' } },
    );
    for (let index = 0; index < 3; index += 1) {
      await router.chat.completions.create({ model: 'left', messages: user('hi') });
      await router.chat.completions.create({ model: 'right', messages: user('hi') });
    }
    expect(a.requests.map((request) => request.headers['authorization'])).toEqual(
      Array(3).fill('Bearer sk-left-only'),
    );
    expect(b.requests.map((request) => request.headers['authorization'])).toEqual(
      Array(3).fill('Bearer sk-right-only'),
    );
  });
});
