/**
 * `npm run bench:serve` — what `switchyard serve` adds over calling the upstream directly, beside
 * Portkey's gateway (the same shape: an OpenAI-compatible proxy in its own process) and the
 * router in process. Writes docs/benchmarks/serve.json and the "switchyard serve" section of
 * docs/benchmarks.md (between its markers; the rest of the page is left as it is).
 *
 *   node bench/serve.ts            full run
 *   node bench/serve.ts --quick    short run; prints, writes nothing under docs/
 *   node bench/serve.ts --report   re-render the section from docs/benchmarks/serve.json
 *
 * Contenders, all driven by the `openai` SDK (maxRetries 0) against the bench's zero-delay mock:
 * `sdk` (direct), `router-one` (the router in process, one target), `serve` (SDK → serve → mock)
 * and `portkey-one` (SDK → Portkey → mock). Latency at concurrency 1 is measured by the shared
 * interleaved method (bench/lib/interleave.ts: one call per contender per sweep in random order,
 * the median over rounds of each one's paired difference from `sdk`, with a sign-test interval);
 * throughput as completed calls per second in a closed loop at a fixed concurrency, each
 * contender in turn, three times in rotated order, the median kept. serve and Portkey run as
 * child processes pinned to the mock's core (bench/lib/processes.ts), the client on the other.
 *
 * LiteLLM's proxy is not included: it installs from PyPI, which this machine cannot reach.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const rootDirectory = join(benchDirectory, '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
  },
});

if (values.report) {
  const results = JSON.parse(
    readFileSync(join(rootDirectory, 'docs', 'benchmarks', 'serve.json'), 'utf8'),
  ) as Parameters<typeof renderSection>[0];
  writeSection(renderSection(results));
  process.stdout.write('bench:serve: re-rendered the serve section of docs/benchmarks.md\n');
  process.exit(0);
}

if (!existsSync(join(benchDirectory, 'node_modules'))) {
  process.stdout.write('bench:serve: installing bench/ dependencies (npm ci --prefix bench)\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', benchDirectory, '--no-audit', '--no-fund'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm ci --prefix bench failed');
}

const { benchEnv, ladderConfigYaml } = await import('./lib/config-fixture.ts');
const { interleave, rungFigures } = await import('./lib/interleave.ts');
const { buildLadder, messages, timeStream } = await import('./lib/ladder.ts');
const { loadOpenAI, packageVersion } = await import('./lib/modules.ts');
const { pinning, startMock, startNodeChild } = await import('./lib/processes.ts');
const { startPortkey } = await import('./peers/portkey-server.ts');
const { median, round, seededRandom } = await import('./lib/stats.ts');

const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const random = seededRandom(seed);
const concurrency = Number(values.concurrency);
const quick = values.quick;
const pin = pinning();
const refusedUrl = 'http://127.0.0.1:9';

const mock = await startMock({ cpu: pin.mock });
const children = [mock];
try {
  let portkeyUrl: string | undefined;
  let portkeyProblem: string | undefined;
  try {
    const portkey = await startPortkey({ cpu: pin.gateway });
    children.push(portkey);
    portkeyUrl = portkey.url;
  } catch (error) {
    portkeyProblem = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  const configPath = join(mkdtempSync(join(tmpdir(), 'bench-serve-')), 'config.yaml');
  writeFileSync(configPath, ladderConfigYaml({ mockUrl: mock.url, refusedUrl }));
  const serve = await startNodeChild({
    args: [
      join(rootDirectory, 'src', 'cli.ts'),
      'serve',
      '--port',
      '0',
      '--quiet',
      '-c',
      configPath,
    ],
    cpu: pin.gateway,
    env: { PATH: process.env['PATH'] ?? '', ...benchEnv },
    readyPattern: /listening on (http:\/\/\S+)/,
  });
  children.push(serve);

  const { rungs, problems } = await buildLadder({
    mockUrl: mock.url,
    refusedUrl,
    portkeyUrl,
    only: ['sdk', 'router-one', 'portkey-one'],
  });
  const OpenAI = await loadOpenAI();
  const serveClient = new OpenAI({
    apiKey: 'unused',
    baseURL: `${serve.url}/v1`,
    maxRetries: 0,
  });
  rungs.push({
    id: 'serve',
    label: 'switchyard serve, 1 target',
    group: 'switchyard',
    baseline: 'sdk',
    async plain() {
      await serveClient.chat.completions.create({ model: 'one', messages });
    },
    async stream() {
      const start = performance.now();
      const stream = await serveClient.chat.completions.create({
        model: 'one',
        messages,
        stream: true,
      });
      return timeStream(
        start,
        (async function* () {
          for await (const chunk of stream) yield chunk.choices[0]?.delta?.content ?? undefined;
        })(),
      );
    },
  });

  const settings = quick
    ? {
        plain: { rounds: 10, sweepsPerRound: 5, warmupSweeps: 40 },
        stream: { rounds: 8, sweepsPerRound: 3, warmupSweeps: 10 },
        throughputMs: 2_000,
      }
    : {
        plain: { rounds: 40, sweepsPerRound: 8, warmupSweeps: 150 },
        stream: { rounds: 25, sweepsPerRound: 5, warmupSweeps: 30 },
        throughputMs: 5_000,
      };

  process.stdout.write(
    `bench:serve: latency at concurrency 1 (${rungs.map((r) => r.id).join(', ')})\n`,
  );
  const plain = await interleave(
    rungs.map((rung) => ({
      id: rung.id,
      async call() {
        const start = performance.now();
        await rung.plain();
        return performance.now() - start;
      },
    })),
    settings.plain,
    random,
  );
  const stream = await interleave(
    rungs.map((rung) => ({
      id: rung.id,
      async call() {
        return (await rung.stream()).ttftMs;
      },
    })),
    settings.stream,
    random,
  );

  process.stdout.write(`bench:serve: throughput at concurrency ${concurrency}\n`);
  const throughput: Record<string, number[]> = Object.fromEntries(rungs.map((r) => [r.id, []]));
  const errors: Record<string, number> = Object.fromEntries(rungs.map((r) => [r.id, 0]));
  for (let pass = 0; pass < 3; pass += 1) {
    const order = [...rungs.slice(pass % rungs.length), ...rungs.slice(0, pass % rungs.length)];
    for (const rung of order) {
      let completed = 0;
      const until = performance.now() + settings.throughputMs;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            try {
              await rung.plain();
              completed += 1;
            } catch {
              errors[rung.id] = (errors[rung.id] ?? 0) + 1;
            }
          }
        }),
      );
      throughput[rung.id]?.push(completed / ((performance.now() - started) / 1000));
    }
  }
  for (const rung of rungs) await rung.close?.();

  const results = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpus: availableParallelism(),
      model: cpus()[0]?.model ?? 'unknown',
      loadAverage1m: round(loadavg()[0] ?? 0, 2),
      node: process.version,
      pinning: pin,
    },
    versions: {
      openai: packageVersion('openai', { root: true }),
      portkey: portkeyUrl === undefined ? undefined : packageVersion('@portkey-ai/gateway'),
    },
    seed,
    quick,
    concurrency,
    problems: { ...problems, ...(portkeyProblem === undefined ? {} : { portkey: portkeyProblem }) },
    rungs: Object.fromEntries(
      rungs.map((rung) => [
        rung.id,
        {
          label: rung.label,
          plain: rungFigures(
            plain.get(rung.id) as never,
            rung.id === 'sdk' ? undefined : (plain.get('sdk') as never),
            random,
          ),
          ttft: rungFigures(
            stream.get(rung.id) as never,
            rung.id === 'sdk' ? undefined : (stream.get('sdk') as never),
            random,
          ),
          throughputPerSecond: round(median(throughput[rung.id] ?? []), 0),
          throughputRuns: (throughput[rung.id] ?? []).map((value) => round(value, 0)),
          throughputErrors: errors[rung.id] ?? 0,
        },
      ]),
    ),
  };
  const section = renderSection(results);
  process.stdout.write(`\n${section}\n`);
  if (!quick) {
    writeFileSync(
      join(rootDirectory, 'docs', 'benchmarks', 'serve.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    writeSection(section);
    process.stdout.write('bench:serve: wrote docs/benchmarks/serve.json and docs/benchmarks.md\n');
  }
} finally {
  for (const child of children.reverse()) await child.stop();
}

function gitCommit(): string {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: rootDirectory,
    encoding: 'utf8',
  });
  return result.stdout.trim() || 'unknown';
}

type Figures = {
  n: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  addedP50?: { estimateUs: number; intervalUs: readonly [number, number] };
};

function renderSection(results: {
  date: string;
  commit: string;
  machine: { cpus: number; model: string; loadAverage1m: number; node: string };
  versions: Record<string, string | undefined>;
  concurrency: number;
  problems: Record<string, string>;
  rungs: Record<
    string,
    {
      label: string;
      plain: unknown;
      ttft: unknown;
      throughputPerSecond: number;
      throughputErrors: number;
    }
  >;
}): string {
  const ms = (us: number) => (us / 1000).toFixed(2);
  const added = (figures: Figures) =>
    figures.addedP50 === undefined
      ? '—'
      : `${ms(figures.addedP50.estimateUs)} [${ms(figures.addedP50.intervalUs[0])}, ${ms(figures.addedP50.intervalUs[1])}]`;
  const lines = [
    '<!-- serve:start (written by npm run bench:serve; the rest of the page by npm run bench) -->',
    '## `switchyard serve`',
    '',
    `What the OpenAI-compatible server adds over calling the upstream directly, beside Portkey's gateway, measured by \`npm run bench:serve\` on ${results.date.slice(0, 10)} at commit ${results.commit} (${results.machine.cpus} cores, ${results.machine.model}, Node ${results.machine.node}, load average ${results.machine.loadAverage1m} at the end). Every client is the \`openai\` SDK; the upstream is the bench's zero-delay mock; serve and Portkey each run in their own process.`,
    '',
    '| contender | plain p50 (ms) | added p50 over direct (ms, 95 % interval) | first token p50 (ms) | added first-token p50 (ms) | throughput at concurrency ' +
      results.concurrency +
      ' (calls/s) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const id of ['sdk', 'router-one', 'serve', 'portkey-one']) {
    const rung = results.rungs[id];
    if (rung === undefined) continue;
    const plain = rung.plain as Figures;
    const ttft = rung.ttft as Figures;
    const labels: Record<string, string> = {
      sdk: 'direct (openai SDK → upstream)',
      'router-one': 'Switchyard router in process (no hop), 1 target',
      serve: 'switchyard serve (SDK → serve → upstream), 1 target',
      'portkey-one': 'Portkey gateway (SDK → Portkey → upstream), 1 target',
    };
    const label = labels[id] ?? rung.label;
    lines.push(
      `| ${label} | ${ms(plain.p50Us)} | ${added(plain)} | ${ms(ttft.p50Us)} | ${added(ttft)} | ${rung.throughputPerSecond}${rung.throughputErrors > 0 ? ` (${rung.throughputErrors} errors)` : ''} |`,
    );
  }
  lines.push(
    '',
    "serve is measured end to end as a client sees it: an extra HTTP hop on loopback (request parsing, JSON re-serialisation, SSE re-framing) on top of the router. Portkey pays the same hop. The router in process is shown for scale: in TypeScript, calling the router directly avoids the hop altogether. A stream's first token through serve also waits for the router's commit point (the first content chunk, until which it can still fall back) before the response headers go out.",
    '',
    `Throughput is completed plain calls per second with ${results.concurrency} calls in flight, each contender alone in turn (three passes, median). The client, the mock and the proxy under test share the machine's ${results.machine.cpus} cores, and other work shared them during the run (load average above), so read the throughput column as a comparison between contenders on this machine, not as a capacity figure.`,
    '',
    "LiteLLM's proxy was not measured: it installs from PyPI, which the machine running these benchmarks cannot reach.",
  );
  if (Object.keys(results.problems).length > 0) {
    lines.push(
      '',
      `Left out: ${Object.entries(results.problems)
        .map(([id, problem]) => `${id} (${problem})`)
        .join('; ')}.`,
    );
  }
  lines.push(
    '',
    'Raw figures: `docs/benchmarks/serve.json` in the repository.',
    '<!-- serve:end -->',
  );
  return lines.join('\n');
}

function writeSection(section: string): void {
  const path = join(rootDirectory, 'docs', 'benchmarks.md');
  const page = readFileSync(path, 'utf8');
  const start = page.indexOf('<!-- serve:start');
  const end = page.indexOf('<!-- serve:end -->');
  const next =
    start !== -1 && end !== -1
      ? `${page.slice(0, start)}${section}${page.slice(end + '<!-- serve:end -->'.length)}`
      : `${page.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
