/**
 * `npm run demo` keeps working: the example config, served by the emulator, streams an answer
 * and falls back when the primary fails, with only loopback traffic.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('the offline demo exits 0, streams through fast, then falls back with an attempt log', () => {
  const result = spawnSync(process.execPath, ['scripts/demo.ts'], {
    cwd: root,
    encoding: 'utf8',
    // No credentials and no proxy settings from this machine: the demo needs none.
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 60_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('config: config.example.yaml');
  expect(result.stdout).toMatch(
    /1\. A streamed answer through fast\n {2}Echo from \S+: Explain in one sentence/,
  );
  expect(result.stdout).toMatch(/served by (\S+) via \S+; attempt log:/);
  const log = result.stdout.slice(result.stdout.indexOf('attempt log:'));
  expect(log).toMatch(/503\s+server\s+retry/);
  expect(log).toMatch(/503\s+server\s+fallback\s+0ms/);
  expect(log).toMatch(/200\s+success/);
  expect(result.stdout).toContain('all to 127.0.0.1');
});

it('the demo compiles edge-chain into a dynamic route, pushes it, and falls back at the edge, then client-side', () => {
  const result = spawnSync(process.execPath, ['scripts/demo.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  const step = result.stdout.slice(result.stdout.indexOf('3. Alias "edge-chain"'));
  expect(step).toContain('model-1: openai/gpt-4.1, retries 1, timeout 20000ms');
  expect(step).toMatch(/pushed: route route_\d+, version ver_\d+ deployed/);
  expect(step).toContain('Echo from openai/gpt-4.1: Served at the edge?');
  expect(step).toContain(
    'the route fell back at the edge (cf-aig-model @cf/meta/llama-3.1-8b-instruct), still 1 request',
  );
  expect(step).toMatch(
    /cloudflare-rest:dynamic\/edge-chain\s+cloudflare-rest\s+503\s+server\s+fallback/,
  );
  expect(step).toMatch(/claude-vercel\s+vercel\s+200\s+success/);
});
