/**
 * `ai` and `@ai-sdk/provider` are optional peer dependencies: only `switchyard-ai/ai-sdk` may
 * import them. The main entry, bundled with every package left external, must not reach either,
 * directly or through any of its modules; the serve entry neither.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function externalImports(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((item) => item.external).map((item) => item.path),
  );
}

const aiPackages = (imports: string[]) =>
  imports.filter((path) => path === 'ai' || path.startsWith('@ai-sdk/') || path.startsWith('ai/'));

describe('optional AI SDK dependencies', () => {
  it('the main entry imports neither ai nor @ai-sdk/*', async () => {
    const imports = await externalImports('../../src/index.ts');
    expect(imports).toContain('openai');
    expect(aiPackages(imports)).toEqual([]);
  });

  it('the serve entry imports neither', async () => {
    expect(aiPackages(await externalImports('../../src/serve/index.ts'))).toEqual([]);
  });

  it('the ai-sdk entry is the one that does', async () => {
    const imports = aiPackages(await externalImports('../../src/ai-sdk/index.ts'));
    expect(new Set(imports)).toEqual(new Set(['@ai-sdk/provider']));
  });
});
