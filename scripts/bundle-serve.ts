/**
 * Builds `dist/serve.mjs`: `switchyard serve` as one file that runs on Node ≥ 22 with no
 * `node_modules` (its dependencies bundled in), for containers and plain servers:
 *
 *   node serve.mjs --config config.yaml --host 0.0.0.0 --port 4000
 *
 * Only the optional Redis client stays outside (loaded when `health: { store: redis }` asks for
 * it). `node scripts/bundle-serve.ts [outfile]` writes it; the default is `dist/serve.mjs`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Options of {@link bundleServe}. */
export type BundleServeOptions = {
  /** Where to write the bundle. @default `<repo>/dist/serve.mjs` */
  outfile?: string;
};

/** Bundles serve; resolves with the bundle's size in bytes and its imports. */
export async function bundleServe(
  options: BundleServeOptions = {},
): Promise<{ bytes: number; imports: string[] }> {
  const outfile = options.outfile ?? `${root}dist/serve.mjs`;
  const result = await build({
    stdin: {
      contents: entry,
      resolveDir: `${root}src`,
      sourcefile: 'serve-entry.ts',
      loader: 'ts',
    },
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: false,
    legalComments: 'inline',
    external: ['@redis/client'],
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies that call require() for Node built-ins need one in ESM.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
  });
  const output = Object.values(result.metafile.outputs)[0];
  return {
    bytes: output?.bytes ?? 0,
    imports: (output?.imports ?? []).map((item) => item.path),
  };
}

// The command line: `switchyard serve` with the arguments given to the bundle.
const entry = `
import { runCli } from './cli/run-cli.ts';

const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.exitCode = await runCli({
  argv: ['serve', ...process.argv.slice(2)],
  io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
  signal: controller.signal,
});
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  const { bytes } = await bundleServe(outfile === undefined ? {} : { outfile });
  console.log(`wrote ${outfile ?? 'dist/serve.mjs'} (${(bytes / 1024).toFixed(0)} KiB)`);
}
