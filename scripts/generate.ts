/**
 * Generates the artefacts derived from `schema/config.schema.json`, so the schema stays the
 * single source of truth:
 * - `src/internal/validate-config.generated.ts`: the ajv standalone validator (no code is
 *   generated at run time, so Workers and `--disallow-code-generation-from-strings` work);
 * - `src/internal/config-schema.generated.ts`: the schema as a module (for the CLI and the tests);
 * - `src/internal/config-schema-runtime.generated.ts`: the parts of it the loader reads to word
 *   errors (allowed keys, alternatives), without descriptions: it ships in the core bundle;
 * - `src/config/config.generated.ts`: the TypeScript types of the config as written.
 *
 * `node scripts/generate.ts` writes them; `node scripts/generate.ts --check` exits 1 when any is
 * stale. `test/generated.test.ts` runs the same comparison.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderGenerated } from './render-generated.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const outputs = await renderGenerated(root);
const check = process.argv.includes('--check');
let stale = 0;
for (const [relativePath, text] of Object.entries(outputs)) {
  const path = `${root}${relativePath}`;
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === text) continue;
  if (check) {
    stale += 1;
    console.error(`stale: ${relativePath} (run npm run generate)`);
  } else {
    await writeFile(path, text);
    console.log(`wrote ${relativePath}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
