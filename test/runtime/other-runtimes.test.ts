/**
 * Bun and Deno, where they are installed: the same child as the no-code-generation test
 * (parseConfig, a plain, a streaming and an embeddings call through the router against the
 * emulator) runs from the TypeScript sources. Skipped when the runtime is not on PATH (CI has
 * neither); point BUN_BIN / DENO_BIN at a binary to run them (both ship on the npm registry as
 * `@oven/bun-linux-x64` and `@deno/linux-x64-glibc`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';

const child = fileURLToPath(new URL('./fixtures/no-codegen-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

function find(name: string, override: string | undefined): string | undefined {
  if (override !== undefined && override !== '') return override;
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const runtimes = [
  { name: 'Bun', binary: find('bun', process.env['BUN_BIN']), args: [child] },
  // Deno finds package.json (and node_modules) from the working directory.
  { name: 'Deno', binary: find('deno', process.env['DENO_BIN']), args: ['run', '-A', child] },
];

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-no-codegen'] });
});
afterAll(() => emulator?.close());

describe.each(runtimes)('$name', ({ binary, args }) => {
  it.skipIf(binary === undefined)(
    'parses a config and routes plain, streaming and embeddings calls',
    async () => {
      const { stdout } = await promisify(execFile)(binary as string, [...args, emulator.url], {
        cwd: root,
        timeout: 20_000,
      });
      expect(JSON.parse(stdout.trim())).toMatchObject({
        plain: 'Echo from primary-model: no eval here',
        upstream: 'primary',
        streamed: 'Echo from primary-model: streamed',
        dimensions: 8,
      });
    },
    30_000,
  );
});

describe('an environment that refuses reads (Deno without --allow-env)', () => {
  // The yaml parser reads `process.env.LOG_TOKENS` while parsing; Deno without `--allow-env`
  // throws `NotCapable` there. Only a RangeError (stack exhaustion) means "too deep"; anything
  // else surfaces as itself. Simulated by making `process.env` refuse the variables yaml reads.
  it('does not report the refusal as YAML nested too deep', async () => {
    const { parseConfig } = await import('../../src/index.ts');
    const original = process.env;
    process.env = new Proxy(original, {
      get(target, key) {
        if (key === 'LOG_TOKENS' || key === 'LOG_STREAM') {
          const error = new Error(`Requires env access to "${String(key)}"`);
          error.name = 'NotCapable';
          throw error;
        }
        return Reflect.get(target, key);
      },
    });
    let thrown: unknown;
    try {
      parseConfig(
        'version: 1\ngateways:\n  g: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }\nmodels:\n  a: g:m\n',
        { env: {} },
      );
    } catch (error) {
      thrown = error;
    } finally {
      process.env = original;
    }
    expect(String((thrown as Error | undefined)?.message)).not.toContain('YAML_TOO_DEEP');
  });
});
