/**
 * Loading what the bench measures. Peers and tools come from bench/node_modules through
 * `import()` with a computed specifier, so the project's typecheck passes on a clone where
 * bench/'s dependencies are not installed; each gets a minimal local type for the part used.
 * The `openai` SDK is loaded from the project's own install, the very copy the router uses.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
const rootDirectory = join(benchDirectory, '..');

/** Imports a package installed under bench/node_modules. */
export async function importBenchPackage<T>(name: string): Promise<T> {
  const require = createRequire(join(benchDirectory, 'package.json'));
  const resolved = require.resolve(name);
  // Prefer the package's ESM entry when it has one; require.resolve gives the CJS one.
  try {
    return (await import(name)) as T;
  } catch {
    return (await import(pathToFileURL(resolved).href)) as T;
  }
}

/** The folder of a package as resolved from `from` (a file path). */
function packageDirectory(name: string, from: string): string {
  const require = createRequire(from);
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages whose `exports` hide package.json: walk back from the entry point.
  }
  const resolved = require.resolve(name);
  const marker = `${join('node_modules', name)}/`;
  return resolved.slice(0, resolved.lastIndexOf(marker) + marker.length - 1);
}

/** The version of a package in bench/node_modules (or the root's, with `root: true`). */
export function packageVersion(name: string, options: { root?: boolean } = {}): string {
  const from = join(options.root === true ? rootDirectory : benchDirectory, 'package.json');
  try {
    const text = readFileSync(join(packageDirectory(name, from), 'package.json'), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The `openai` SDK as the router loads it (the project's own node_modules, ESM entry). */
export async function loadOpenAI(): Promise<typeof import('openai').default> {
  const directory = packageDirectory('openai', join(rootDirectory, 'src', 'index.ts'));
  const module = (await import(pathToFileURL(join(directory, 'index.mjs')).href)) as {
    default: typeof import('openai').default;
  };
  return module.default;
}

export const paths = { benchDirectory, rootDirectory };
