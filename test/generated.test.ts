/**
 * The files generated from `schema/config.schema.json` are up to date, and the validator is plain
 * standalone code: nothing is compiled at run time (Cloudflare Workers, CSP, and
 * `node --disallow-code-generation-from-strings` all forbid it).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderGenerated } from '../scripts/render-generated.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const run = promisify(execFile);

describe('generated files', () => {
  it('are up to date with the schema (run `npm run generate` if this fails)', async () => {
    const outputs = await renderGenerated(root);
    expect(Object.keys(outputs).sort()).toEqual([
      'src/config/config.generated.ts',
      'src/internal/config-schema-runtime.generated.ts',
      'src/internal/config-schema.generated.ts',
      'src/internal/validate-config.generated.ts',
    ]);
    for (const [path, expected] of Object.entries(outputs)) {
      const actual = await readFile(`${root}${path}`, 'utf8');
      expect(actual, `${path} is stale: run npm run generate`).toBe(expected);
    }
  }, 180_000);

  it('ship the schema the package exports as ./schema.json', async () => {
    const packageJson = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as {
      exports: Record<string, unknown>;
      files: string[];
    };
    expect(packageJson.exports['./schema.json']).toBe('./schema/config.schema.json');
    expect(packageJson.files).toContain('schema');
    const schema = JSON.parse(await readFile(`${root}schema/config.schema.json`, 'utf8'));
    const { configSchema } = await import('../src/internal/config-schema.generated.ts');
    expect(configSchema).toEqual(schema);
  });
});

describe('the standalone validator', () => {
  it('has no eval, new Function or ajv compiler in it', async () => {
    const code = await readFile(`${root}src/internal/validate-config.generated.ts`, 'utf8');
    expect(code).not.toMatch(/\beval\s*\(/);
    expect(code).not.toMatch(/\bnew\s+Function\b/);
    expect(code).not.toMatch(/\bFunction\s*\(/);
    expect(code).not.toMatch(/\brequire\s*\(/);
    // Only ajv's small runtime helpers are imported, never ajv itself.
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]);
    for (const specifier of imports) expect(specifier).toMatch(/^ajv\/dist\/runtime\//);
    expect(code).toContain('export const validate');
  });

  it('validates under node --disallow-code-generation-from-strings', async () => {
    const script = `
      import { parseConfig } from ${JSON.stringify(`${root}src/config/parse-config.ts`)};
      let evalBlocked = false;
      try { new Function('return 1'); } catch { evalBlocked = true; }
      const table = parseConfig('version: 1\\ngateways:\\n  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }\\nmodels:\\n  fast: local:x\\n', { env: {} });
      let code = 'none';
      try { parseConfig('version: 1\\ngateways: {}\\nmodels: {}\\n', { env: {} }); } catch (error) { code = error.issues[0].code; }
      console.log(JSON.stringify({ evalBlocked, targets: table.aliases.fast.targets, code }));
    `;
    const { stdout } = await run(process.execPath, [
      '--disallow-code-generation-from-strings',
      '--input-type=module',
      '--eval',
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      evalBlocked: true,
      targets: ['local:x'],
      code: 'SCHEMA_VIOLATION',
    });
  }, 180_000);
});
