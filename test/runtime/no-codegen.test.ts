/**
 * No code generation at run time: the package imports, validates a config and routes calls under
 * `node --disallow-code-generation-from-strings`, the same restriction Cloudflare Workers and
 * strict CSPs impose (the ajv validator is precompiled; nothing calls `eval` or `new Function`).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const child = fileURLToPath(new URL('./fixtures/no-codegen-child.ts', import.meta.url));
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-no-codegen'] });
});
afterAll(() => emulator?.close());

it('imports and routes under --disallow-code-generation-from-strings', async () => {
  emulator.inject({
    match: { model: 'primary-model', stream: true },
    times: 1,
    fault: { type: 'reset' },
  });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--disallow-code-generation-from-strings', child, emulator.url],
    { timeout: 15_000, env: { PATH: process.env['PATH'] ?? '' } },
  );
  expect(JSON.parse(stdout.trim())).toEqual({
    codeGeneration: 'blocked',
    plain: 'Echo from primary-model: no eval here',
    upstream: 'primary',
    // The streaming call fell back after a reset on the primary.
    streamed: 'Echo from backup-model: streamed',
    dimensions: 8,
  });
  expect(emulator.requests.map((request) => [request.model, request.status ?? 'reset'])).toEqual([
    ['primary-model', 200],
    ['primary-model', 'reset'],
    ['backup-model', 200],
    ['embedding-model', 200],
  ]);
});
