/**
 * Footprint: the library's own code bundled from src/index.ts with esbuild (dependencies
 * external: openai, yaml, ajv, p-retry), minified and gzipped (level 9); the generated ajv
 * standalone validator alone, and the rest without it; the emulator subpath separately. Checks
 * the bundle for run-time code generation (`new Function`, `eval`), and times importing the
 * bundle (with its dependencies) in fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importBenchPackage, packageVersion, paths } from '../lib/modules.ts';
import { median, round } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

type BuildResult = { outputFiles: { text: string }[] };
type Plugin = {
  name: string;
  setup(build: {
    onLoad(options: { filter: RegExp }, callback: () => { contents: string; loader: string }): void;
  }): void;
};
type Esbuild = {
  build(options: Record<string, unknown>): Promise<BuildResult>;
};

const args = suiteArguments();
const esbuild = await importBenchPackage<Esbuild>('esbuild');
const root = paths.rootDirectory;
const external = ['openai', 'openai/*', 'yaml', 'ajv', 'ajv/*', 'p-retry', 'node:*'];
const validatorPattern = /validate-config\.generated\.ts$/;

async function bundle(entry: string, options: { stubValidator?: boolean } = {}) {
  const plugins: Plugin[] =
    options.stubValidator === true
      ? [
          {
            name: 'stub-validator',
            setup(build) {
              build.onLoad({ filter: validatorPattern }, () => ({
                contents: 'export const validate = () => true;',
                loader: 'js',
              }));
            },
          },
        ]
      : [];
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'es2023',
    minify: true,
    external,
    plugins,
  });
  const text = result.outputFiles[0]?.text ?? '';
  return {
    text,
    figures: {
      minifiedBytes: Buffer.byteLength(text),
      minifiedGzipBytes: gzipSync(text, { level: 9 }).length,
    },
  };
}

const core = await bundle('src/index.ts');
const withoutValidator = await bundle('src/index.ts', { stubValidator: true });
const validator = await bundle('src/internal/validate-config.generated.ts');
const emulator = await bundle('src/emulator/index.ts');

// Import time of the bundle and its dependencies, each in a fresh process.
const directory = join(paths.benchDirectory, 'results', 'tmp');
mkdirSync(directory, { recursive: true });
const bundlePath = join(directory, 'switchyard.bundle.mjs');
writeFileSync(bundlePath, core.text);
const probe = join(directory, 'import-probe.mjs');
writeFileSync(
  probe,
  `const start = performance.now();\nawait import(${JSON.stringify(bundlePath)});\nprocess.stdout.write(String(performance.now() - start));\n`,
);
const importTimes: number[] = [];
for (let index = 0; index < (args.quick ? 3 : 7); index += 1) {
  importTimes.push(
    Number(execFileSync(process.execPath, [probe], { encoding: 'utf8', cwd: root })),
  );
}

writeResult(args.out, {
  bundler: `esbuild ${packageVersion('esbuild')}`,
  external,
  core: core.figures,
  coreWithoutGeneratedValidator: withoutValidator.figures,
  generatedValidator: validator.figures,
  emulatorSubpath: emulator.figures,
  runtimeCodegen: {
    newFunction: /new Function\b/.test(core.text),
    eval: /\beval\(/.test(core.text),
  },
  importMs: {
    median: round(median(importTimes), 1),
    runs: importTimes.map((value) => round(value, 1)),
  },
});
