/**
 * The serve handler inside workerd (Miniflare), bundled the way Wrangler bundles a Worker
 * (esbuild, ESM, `workerd`/`worker`/`browser` conditions): no `node:` module in the bundle (the
 * `node:http` adapter is tree-shaken away), and plain, streamed, fallback and key-checked calls
 * answered in the Workers runtime, with the emulator as the upstream on loopback.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { serveConfigYaml, upstreamKey } from './helpers.ts';

const entry = fileURLToPath(new URL('./fixtures/serve-worker.ts', import.meta.url));
let emulator: Emulator;
let miniflare: Miniflare;
let bundle = '';
let imports: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [upstreamKey] });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    metafile: true,
    logLevel: 'silent',
  });
  imports = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.map((item) => item.path),
  );
  bundle = result.outputFiles[0]?.text ?? '';
  miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: bundle }],
    compatibilityDate: '2025-09-01',
    bindings: {
      CONFIG_YAML: serveConfigYaml('${EMULATOR_URL}'),
      EMULATOR_URL: emulator.url,
      UPSTREAM_KEY: upstreamKey,
      SERVE_KEYS: 'worker-client-key',
    },
  });
  await miniflare.ready;
}, 60_000);

afterAll(async () => {
  await miniflare?.dispose();
  await emulator?.close();
});

beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const chat = async (body: object, key = 'worker-client-key') => {
  const response = await miniflare.dispatchFetch('http://worker.test/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { response, text: await response.text() };
};

describe('serve as a Cloudflare Worker', () => {
  it('the bundle has no node: import', () => {
    expect(imports).toEqual([]);
    expect(bundle).not.toMatch(/from\s*["']node:/);
    expect(bundle).not.toContain('createServer');
  });

  it('plain call', async () => {
    const { response, text } = await chat({
      model: 'fast',
      messages: [{ role: 'user', content: 'from workerd' }],
    });
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text).choices[0].message.content).toBe(
      'Echo from primary-model: from workerd',
    );
    expect(response.headers.get('x-switchyard-upstream')).toBe('primary');
  });

  it('streamed call: SSE chunks then [DONE]', async () => {
    const { response, text } = await chat({
      model: 'fast',
      stream: true,
      messages: [{ role: 'user', content: 'stream in workerd' }],
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    expect(
      data
        .slice(0, -1)
        .map((line) => JSON.parse(line).choices[0].delta.content ?? '')
        .join(''),
    ).toBe('Echo from primary-model: stream in workerd');
  });

  it('fallback', async () => {
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'status', status: 503 },
    });
    const { response, text } = await chat({
      model: 'fast',
      messages: [{ role: 'user', content: 'w' }],
    });
    expect(JSON.parse(text).choices[0].message.content).toBe('Echo from backup-model: w');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('a wrong client key is a 401 in the OpenAI shape', async () => {
    const { response, text } = await chat({ model: 'fast', messages: [] }, 'wrong');
    expect(response.status).toBe(401);
    expect(JSON.parse(text).error.code).toBe('invalid_api_key');
    expect(emulator.requests).toHaveLength(0);
  });
});
