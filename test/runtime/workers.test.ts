/**
 * Cloudflare Workers: the runtime-neutral core (`parseConfig`, `createRouter`, the router) runs
 * unchanged inside the real Workers runtime. esbuild bundles `fixtures/worker.ts` the way
 * Wrangler would (ESM, `workerd`/`worker`/`browser` conditions, `node:*` left external), and
 * Miniflare runs the bundle in `workerd`, without the `nodejs_compat` flag. The Worker routes
 * through the emulator on loopback; the test asserts on its answers and on the emulator's log.
 */
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const workerEntry = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

const gatewayToken = 'cf-worker-token-W1';
const localKey = 'sk-worker-local-W2';

const configYaml = `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: \${GATEWAY_URL}
    auth: { token: "\${GATEWAY_TOKEN}", keys: stored }
  local:
    type: openai-compatible
    baseURL: \${GATEWAY_URL}/v1
    apiKey: \${LOCAL_KEY}
upstreams:
  primary: { gateway: edge, model: openai/primary-model }
  backup: { gateway: local, model: backup-model }
  sick: { gateway: edge, model: openai/sick-model }
models:
  chat:
    targets: [primary, backup]
    retry: { attempts: 1 }
    timeout: 10s
  watched:
    targets: [sick, backup]
    retry: { attempts: 1 }
`;

let emulator: Emulator;
let miniflare: Miniflare;
let metafile: Metafile;
let bundleText: string;

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/gw': { token: gatewayToken, storedKeys: ['openai'] } } },
    apiKeys: [localKey, 'sk-bundled'],
  });
  const result = await build({
    entryPoints: [workerEntry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    metafile: true,
    define: { bundledGatewayURL: JSON.stringify(emulator.url) },
    logLevel: 'silent',
  });
  metafile = result.metafile;
  bundleText = result.outputFiles[0]?.text ?? '';
  miniflare = startWorker([]);
  await miniflare.ready;
}, 180_000);

afterAll(async () => {
  await miniflare?.dispose();
  await emulator?.close();
});

function startWorker(compatibilityFlags: string[]): Miniflare {
  return new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: bundleText }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags,
    bindings: {
      CONFIG_YAML: configYaml,
      GATEWAY_URL: emulator.url,
      GATEWAY_TOKEN: gatewayToken,
      LOCAL_KEY: localKey,
    },
  });
}

beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

async function callWorker(path: string, query: Record<string, string> = {}) {
  const url = new URL(path, 'http://worker.test');
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await miniflare.dispatchFetch(url.href);
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('the bundle', () => {
  it('pulls in no node: module and no loadConfig', () => {
    const imports = Object.values(metafile.outputs).flatMap((output) =>
      output.imports.map((entry) => entry.path),
    );
    expect(imports).toEqual([]);
    expect(bundleText).not.toMatch(/from\s*["']node:/);
    // Tree-shaken: exported by src/index.ts, unused by the Worker.
    expect(bundleText).not.toContain('function loadConfig');
    expect(bundleText).not.toContain('readFileSync');
  });
});

describe('inside workerd', () => {
  it('routes a plain call with the stored-keys auth headers', async () => {
    const response = await callWorker('/plain');
    expect(response.status, response.text).toBe(200);
    const body = response.json();
    expect(body['content']).toBe('Echo from openai/primary-model: hello from a worker');
    expect(body['upstream']).toBe('primary');
    expect(body['decisions']).toEqual(['success']);
    expect(body['gatewayIds']).toMatchObject({ 'cf-aig-log-id': expect.any(String) });
    const [request] = emulator.requests;
    expect(emulator.requests).toHaveLength(1);
    expect(request?.headers['cf-aig-authorization']).toBe(`Bearer ${gatewayToken}`);
    expect(request?.headers['authorization']).toBeUndefined();
    expect(request?.credential).toBe('stored');
  });

  it('routes a streaming call and reads every chunk', async () => {
    const response = await callWorker('/stream', { prompt: 'one two three four' });
    expect(response.status, response.text).toBe(200);
    const body = response.json();
    expect(body['text']).toBe('Echo from openai/primary-model: one two three four');
    expect(body['chunks']).toBe(7);
    expect(body['upstream']).toBe('primary');
    expect(emulator.requests[0]?.stream).toBe(true);
  });

  it('passes a stream through to its own client as its response body', async () => {
    const response = await callWorker('/passthrough', { prompt: 'streamed through' });
    expect(response.status, response.text).toBe(200);
    const chunks = response.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { choices: { delta: { content?: string } }[] });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Echo from openai/primary-model: streamed through');
  });

  it('falls back to the next target when the primary fails', async () => {
    emulator.inject({
      match: { model: 'openai/primary-model' },
      times: 1,
      fault: { type: 'status', status: 503 },
    });
    const response = await callWorker('/plain', { prompt: 'fall back' });
    expect(response.status, response.text).toBe(200);
    const body = response.json();
    expect(body['content']).toBe('Echo from backup-model: fall back');
    expect(body['upstream']).toBe('backup');
    expect(body['decisions']).toEqual(['fallback', 'success']);
    expect(emulator.requests.map((request) => [request.model, request.status])).toEqual([
      ['openai/primary-model', 503],
      ['backup-model', 200],
    ]);
    expect(emulator.requests[1]?.headers['authorization']).toBe(`Bearer ${localKey}`);
  });

  it('falls back before the first chunk of a stream', async () => {
    emulator.inject({
      match: { model: 'openai/primary-model' },
      times: 1,
      fault: { type: 'reset' },
    });
    const response = await callWorker('/stream', { prompt: 'stream fall back' });
    expect(response.status, response.text).toBe(200);
    const body = response.json();
    expect(body['text']).toBe('Echo from backup-model: stream fall back');
    expect(body['upstream']).toBe('backup');
    expect(body['decisions']).toEqual(['fallback', 'success']);
  });

  it('reports a failed call as a Switchyard error with its code', async () => {
    emulator.inject({ fault: { type: 'status', status: 503 } });
    const response = await callWorker('/plain');
    expect(response.status).toBe(500);
    expect(response.json()).toMatchObject({
      error: 'AllTargetsFailedError',
      code: 'ALL_TARGETS_FAILED',
    });
  });

  it('resolves a plan with secrets redacted; one router served every request', async () => {
    const response = await callWorker('/resolve');
    expect(response.status, response.text).toBe(200);
    expect(response.text).not.toContain(gatewayToken);
    expect(response.text).not.toContain(localKey);
    const plan = response.json() as { targets: { upstream: string }[] };
    expect(plan.targets.map((target) => target.upstream)).toEqual(['primary', 'backup']);
    const again = (await callWorker('/plain')).json();
    expect(again['builds']).toBe(1);
  });

  it('shares health memory across requests: a failing primary is skipped by later requests', async () => {
    emulator.inject({
      match: { model: 'openai/sick-model' },
      fault: { type: 'status', status: 503 },
    });
    // Three failures (the default threshold), one per request, open the primary's cool-down.
    for (let index = 0; index < 3; index += 1) {
      const body = (await callWorker('/plain', { model: 'watched' })).json();
      expect(body['decisions']).toEqual(['fallback', 'success']);
    }
    const body = (await callWorker('/plain', { model: 'watched' })).json();
    expect(body['upstream']).toBe('backup');
    expect(body['decisions']).toEqual(['skipped', 'success']);
    const sick = emulator.requests.filter((request) => request.model === 'openai/sick-model');
    expect(sick).toHaveLength(3);
  });

  // workerd ties an AbortSignal to the request that created it, and forbids timers and I/O at
  // global scope; the router holds no signal of its own and does nothing at creation, so it
  // can be made at module scope and serve every request.
  it('a router made at module scope serves requests', async () => {
    for (const prompt of ['first', 'second']) {
      const response = await callWorker('/module-scope', { prompt });
      expect(response.status, response.text).toBe(200);
      expect(response.json()).toEqual({
        content: `Echo from bundled-model: ${prompt}`,
        upstream: 'g:bundled-model',
      });
    }
  });
});

describe('inside workerd with the nodejs_compat flag', () => {
  // Most Workers projects turn it on; then `process` exists and the SDK sees a Node-like
  // runtime. The same bundle must behave the same.
  it('routes plain, streaming and fallback calls', async () => {
    const compat = startWorker(['nodejs_compat']);
    try {
      const call = async (path: string, query: Record<string, string> = {}) => {
        const url = new URL(path, 'http://worker.test');
        for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
        const response = await compat.dispatchFetch(url.href);
        const text = await response.text();
        expect(response.status, text).toBe(200);
        return JSON.parse(text) as Record<string, unknown>;
      };
      expect((await call('/plain'))['content']).toBe(
        'Echo from openai/primary-model: hello from a worker',
      );
      expect((await call('/stream', { prompt: 'a b' }))['text']).toBe(
        'Echo from openai/primary-model: a b',
      );
      emulator.inject({
        match: { model: 'openai/primary-model' },
        times: 1,
        fault: { type: 'status', status: 500 },
      });
      expect((await call('/plain'))['upstream']).toBe('backup');
    } finally {
      await compat.dispose();
    }
  });
});
