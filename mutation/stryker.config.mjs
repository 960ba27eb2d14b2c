// StrykerJS for Switchyard's routing-critical code: `npm run mutate` (see docs/architecture.md).
// Run from the repository root; the tools live in mutation/node_modules (TypeScript 5 for the
// checker), the project's own vitest and sources are used as they are.

/** The modules whose behaviour the docs promise; each mutant must be killed or listed as equivalent. */
const mutate = [
  'src/router/**/*.ts',
  'src/internal/redact.ts',
  'src/serve/**/*.ts',
  'src/config/resolve-chains.ts',
  'src/config/interpolate-env.ts',
  'src/gateways/**/*.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Forks, as the suite itself runs: some tests change the working directory, which workers cannot.
  vitest: { configFile: 'vitest.config.ts', related: true, pool: 'forks' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: process.env['MUTATE'] ? process.env['MUTATE'].split(',') : mutate,
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'mutation/incremental.json',
  concurrency: Number(process.env['MUTATE_CONCURRENCY'] ?? 2),
  // The suite's HTTP tests take seconds each on a loaded machine; a mutant that hangs one is a kill.
  timeoutMS: 20_000,
  // The first run is the whole related suite with coverage: minutes on 2 cores, more when loaded.
  dryRunTimeoutMinutes: 40,
  timeoutFactor: 2,
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'mutation/reports/mutation.json' },
  htmlReporter: { fileName: 'mutation/reports/mutation.html' },
  // dist/ is copied as built: the CLI tests spawn it (mutants are not in it; those tests simply cannot kill them).
  // Some tests list the repository's files with `git ls-files`; the sandbox is a plain copy.
  buildCommand: 'bash mutation/prepare-sandbox.sh',
  tempDirName: '.stryker-tmp',
  ignorePatterns: [
    'mutation/node_modules',
    'mutation/reports',
    'mutation/incremental.json',
    'bench',
    '.node',
    '.ab-base',
    'coverage',
  ],
  cleanTempDir: 'always',
};
