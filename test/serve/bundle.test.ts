/**
 * The single-file bundle of `switchyard serve` (`scripts/bundle-serve.ts`): built into an empty
 * temporary directory with no `node_modules` anywhere above it, started there with plain
 * `node`, it serves a config against the emulator and stops on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServe } from '../../scripts/bundle-serve.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { serveConfigYaml, upstreamKey } from './helpers.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [upstreamKey] });
});
afterAll(async () => {
  await emulator?.close();
});

/** Whether a `node_modules` directory sits in `dir` or any directory above it. */
function hasNodeModulesAbove(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) return true;
    if (dirname(current) === current) return false;
  }
}

describe('dist/serve.mjs', () => {
  it('runs from an empty directory without node_modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-'));
    expect(hasNodeModulesAbove(dir)).toBe(false);
    const bundle = join(dir, 'serve.mjs');
    const { imports } = await bundleServe({ outfile: bundle });
    // Node built-ins only, besides the optional Redis client.
    expect(imports.filter((path) => !isBuiltin(path) && path !== '@redis/client')).toEqual([]);
    writeFileSync(join(dir, 'config.yaml'), serveConfigYaml(emulator.url));
    const child = spawn(process.execPath, [bundle, '--config', 'config.yaml', '--port', '0'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', UPSTREAM_KEY: upstreamKey },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await expect.poll(() => output, { timeout: 20_000 }).toMatch(/listening on http:\/\//);
      const url = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1] ?? '';
      const client = new OpenAI({ apiKey: 'unused', baseURL: `${url}/v1`, maxRetries: 0 });
      const answer = await client.chat.completions.create({
        model: 'fast',
        messages: [{ role: 'user', content: 'bundled' }],
      });
      expect(answer.choices[0]?.message.content).toContain('bundled');
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(output).toMatch(/ POST \/v1\/chat\/completions fast → 200 via primary/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
