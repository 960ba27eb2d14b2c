/**
 * `npm run bench` — runs every benchmark on this machine and writes the results:
 * docs/benchmarks/results.json (raw), docs/benchmarks/*.png (charts) and docs/benchmarks.md.
 *
 *   node bench/run.ts            full run (a few minutes)
 *   node bench/run.ts --quick    short run; results go to bench/results/tmp/ only
 *   node bench/run.ts --report   re-render docs from docs/benchmarks/results.json
 *   node bench/run.ts --only latency,throughput   run some suites (merged into the last results)
 *   node bench/run.ts --guard    the fast guard (`npm run bench:guard`): fails (exit 1) when
 *                                Switchyard's added p50 over the SDK exceeds the target by more
 *                                than the A/A control's noise; writes nothing under docs/
 *
 * Installs bench/'s own dependencies (peers and tools) with `npm ci --prefix bench` when
 * bench/node_modules is missing. Starts the zero-delay mock (and the project's emulator, for the
 * mock-ceiling check) and Portkey's gateway in their own processes on 127.0.0.1, then runs each
 * suite in a fresh process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const rootDirectory = join(benchDirectory, '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    only: { type: 'string' },
    guard: { type: 'boolean', default: false },
    seed: { type: 'string' },
  },
});

/** Runs the overhead suite in guard mode, prints its verdict, exits 0 (pass) or 1 (fail). */
async function runGuard(): Promise<never> {
  const { startMock } = await import('./lib/processes.ts');
  const scratchDirectory = join(benchDirectory, 'results', 'tmp');
  mkdirSync(scratchDirectory, { recursive: true });
  const out = join(scratchDirectory, 'guard.json');
  const mock = await startMock();
  let status: number | null;
  let stderr: string;
  try {
    process.stdout.write(
      'bench guard: SDK, A/A control, Switchyard 1 target and 3-deep chain, interleaved ...\n',
    );
    const result = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        join(benchDirectory, 'suites', 'overhead.ts'),
        '--guard',
        '--out',
        out,
        '--mock',
        mock.url,
        ...(values.seed === undefined ? [] : ['--seed', values.seed]),
      ],
      { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
    );
    status = result.status;
    stderr = result.stderr ?? '';
  } finally {
    await mock.stop();
  }
  if (status !== 0 || !existsSync(out)) {
    process.stderr.write(
      `bench guard: the measurement failed (exit ${status})\n${stderr.slice(-3000)}\n`,
    );
    process.exit(2);
  }
  const { formatGuard } = await import('./report/guard.ts');
  const { text, pass } = formatGuard(JSON.parse(readFileSync(out, 'utf8')));
  process.stdout.write(`${text}\n`);
  process.exit(pass ? 0 : 1);
}

if (values.guard) await runGuard();

function ensureDependencies(): void {
  if (existsSync(join(benchDirectory, 'node_modules', '.package-lock.json'))) return;
  process.stdout.write('bench: installing bench/ dependencies (npm ci --prefix bench)\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', benchDirectory, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm ci --prefix bench failed');
}

ensureDependencies();

const docsDirectory = join(rootDirectory, 'docs', 'benchmarks');
const scratch = join(benchDirectory, 'results', 'tmp');
mkdirSync(scratch, { recursive: true });
const resultsPath = values.quick
  ? join(scratch, 'quick-results.json')
  : join(docsDirectory, 'results.json');

const { renderReport } = await import('./report/render.ts');

if (values.report) {
  await renderReport({ resultsPath, quick: values.quick });
  process.exit(0);
}

const { startMock } = await import('./lib/processes.ts');
const { startPortkey } = await import('./peers/portkey-server.ts');
const { packageVersion } = await import('./lib/modules.ts');

/** Suites in run order: [name, node flags, timeout in s]. */
const suites: [string, string[], number][] = [
  ['mock-ceiling', [], 60],
  ['resolve', [], 120],
  ['config-load', ['--expose-gc'], 300],
  ['size', [], 120],
  ['overhead', ['--expose-gc'], 900],
  ['latency', ['--expose-gc'], 600],
  ['throughput', [], 900],
  ['failover', [], 300],
  ['memory', ['--expose-gc'], 300],
  ['profile', [], 300],
  ['sdk-options', [], 300],
  ['tracing', [], 300],
];
const selected =
  values.only === undefined
    ? suites
    : suites.filter(([name]) => (values.only ?? '').split(',').includes(name));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Formats a written file the way the project's linter wants it (when the linter is installed). */
function formatWithBiome(path: string): void {
  const biome = join(rootDirectory, 'node_modules', '.bin', 'biome');
  if (!existsSync(biome)) return;
  spawnSync(biome, ['format', '--write', path], { cwd: rootDirectory, stdio: 'ignore' });
}

/** The commit measured, and whether src/ had uncommitted changes (other work in the tree). */
function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: rootDirectory,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: rootDirectory,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? commit : `${commit} + uncommitted changes in src/`;
  } catch {
    return 'unknown';
  }
}

const previous = existsSync(resultsPath)
  ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>)
  : {};
const results: Record<string, unknown> = values.only === undefined ? {} : { ...previous };
const problems: Record<string, string> =
  values.only === undefined ? {} : { ...((previous['problems'] as Record<string, string>) ?? {}) };

const runInfo = {
  mode: values.quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  command: values.quick ? 'npm run bench -- --quick' : 'npm run bench',
  commit: gitCommit(),
};
if (values.only !== undefined && previous['run'] !== undefined) {
  // Suites re-run on their own join the earlier run: its machine, versions and date stay.
  const run = previous['run'] as Record<string, unknown>;
  run['additions'] = [
    ...((run['additions'] as unknown[]) ?? []),
    { suites: values.only, date: runInfo.date, commit: runInfo.commit },
  ];
  results['run'] = run;
} else {
  results['machine'] = {
    os: `${type()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    freeMemoryGiB: Math.round(freemem() / 1024 ** 3),
    node: process.version,
    pinning: 'none (see docs: pinning the client to one core slowed it)',
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
  results['versions'] = {
    switchyard: `${(JSON.parse(readFileSync(join(rootDirectory, 'package.json'), 'utf8')) as { version: string }).version} (${gitCommit()})`,
    openai: packageVersion('openai', { root: true }),
    yaml: packageVersion('yaml', { root: true }),
    ajv: packageVersion('ajv', { root: true }),
    'p-retry': packageVersion('p-retry', { root: true }),
    undici: packageVersion('undici'),
    '@portkey-ai/gateway': packageVersion('@portkey-ai/gateway'),
    '@hono/node-server (Portkey)': packageVersion('@hono/node-server'),
    ai: packageVersion('ai'),
    '@ai-sdk/openai': packageVersion('@ai-sdk/openai'),
    'ai-fallback': packageVersion('ai-fallback'),
    '@langchain/openai': packageVersion('@langchain/openai'),
    '@langchain/core': packageVersion('@langchain/core'),
    esbuild: packageVersion('esbuild'),
  };
  results['run'] = runInfo;
}

const mock = await startMock();
const emulator = await startMock({ kind: 'emulator' });
const refusedUrl = `http://127.0.0.1:${await freePort()}`;
let portkey: Awaited<ReturnType<typeof startPortkey>> | undefined;
try {
  portkey = await startPortkey({});
} catch (error) {
  problems['portkey'] = `Portkey's gateway did not start: ${String(error).slice(0, 2000)}`;
}

const started = performance.now();
try {
  for (const [name, flags, timeoutS] of selected) {
    const out = join(scratch, `${name}.json`);
    const suiteArgs = [
      ...flags,
      join(benchDirectory, 'suites', `${name}.ts`),
      '--out',
      out,
      '--mock',
      mock.url,
      '--refused',
      refusedUrl,
      ...(name === 'mock-ceiling' ? ['--emulator', emulator.url] : []),
      ...(portkey === undefined || name === 'mock-ceiling' ? [] : ['--portkey', portkey.url]),
      ...(values.quick ? ['--quick'] : []),
      ...(values.seed === undefined ? [] : ['--seed', values.seed]),
    ];
    const suiteStart = performance.now();
    process.stdout.write(`bench: ${name} ... `);
    const result = spawnSync(process.execPath, suiteArgs, {
      encoding: 'utf8',
      timeout: timeoutS * 1000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = ((performance.now() - suiteStart) / 1000).toFixed(1);
    if (result.status === 0 && existsSync(out)) {
      results[name] = JSON.parse(readFileSync(out, 'utf8'));
      delete problems[name];
      process.stdout.write(`${seconds} s\n`);
    } else {
      const reason = result.error?.message ?? `exit ${result.status}`;
      problems[name] = `${reason}\n${(result.stderr ?? '').slice(-3000)}`;
      process.stdout.write(`failed (${reason}) after ${seconds} s\n`);
    }
  }
} finally {
  await portkey?.stop();
  await emulator.stop();
  await mock.stop();
}
results['problems'] = problems;
if (values.only === undefined) {
  (results['run'] as Record<string, unknown>)['durationS'] = Math.round(
    (performance.now() - started) / 1000,
  );
  (results['run'] as Record<string, unknown>)['loadAverageAtEnd'] = loadavg().map(
    (value) => Math.round(value * 100) / 100,
  );
}

mkdirSync(dirname(resultsPath), { recursive: true });
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
formatWithBiome(resultsPath);
await renderReport({ resultsPath, quick: values.quick });
process.stdout.write(`bench: results in ${resultsPath}\n`);
if (results['overhead'] !== undefined) {
  const { formatGuard } = await import('./report/guard.ts');
  process.stdout.write(`${formatGuard(results['overhead'] as never).text}\n`);
}
