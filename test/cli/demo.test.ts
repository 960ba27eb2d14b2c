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
