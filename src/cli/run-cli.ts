/**
 * The `switchyard` command line: validate, plan, chat, emulate, schema. Flags are parsed with
 * `node:util` `parseArgs`; output and environment are injectable so tests can run it in-process,
 * and the built `dist/cli.js` runs it as a process.
 *
 * Exit codes: 0 success; 1 the config is invalid or the call failed; 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config/load-config.ts';
import type { RouteTable } from '../config/route-table.ts';
import { type FaultRule, parseFaultRule, startEmulator } from '../emulator/index.ts';
import { ConfigError, isRouterError } from '../errors.ts';
import { configSchema } from '../internal/config-schema.generated.ts';
import { createRouter } from '../router/create-router.ts';
import { faultRuleProblems } from './check-fault-rules.ts';
import { emulatedGateways } from './emulated-gateways.ts';
import { findPlanWarnings, formatPlan } from './format-plan.ts';
import { type CliIO, paintFor } from './output.ts';
import { ServeUsageError, serveCommand, serveHelp } from './serve-command.ts';

/** Exit code: the config is invalid or the call failed. */
export const exitFailure = 1;
/** Exit code: bad usage (unknown command or flag, missing argument). */
export const exitUsage = 2;

const usage = `Usage: switchyard <command> [options]

Commands:
  validate [file]            Check a config; print every problem as file:line:column
  plan <alias>               Show the fallback chain, retries, timeouts and the worst case
  chat <alias> <prompt...>   Send a prompt through an alias and stream the answer
  emulate                    Run the local gateway emulator for the gateways in a config
  serve                      Serve the config as a local OpenAI-compatible API
  schema                     Print the config's JSON Schema

Options for every command:
  -c, --config <file>        Config file (default: $SWITCHYARD_CONFIG, else ./config.yaml)
  -h, --help                 Help for a command

Exit codes: 0 success, 1 invalid config or failed call, 2 bad usage.
Run "switchyard <command> --help" for a command's options.
`;

const help: Readonly<Record<string, string>> = {
  validate: `Usage: switchyard validate [file] [--json]

Checks a config file: YAML, environment variables, schema, references, cycles and credentials.
Exit 0 when valid (with a warning for each target an alias's deadline can never reach); exit 1
with every problem as file:line:column, the line and a caret.

Options:
  --json       Print the result as JSON: {"ok", "file", "issues": [{code, path, message, line, column}], "warnings"}
  -c, --config <file>   Same as the [file] argument
`,
  plan: `Usage: switchyard plan <alias> [--config file] [--json]

Prints what a call to <alias> (or <gateway>:<model>) would do, without sending anything: each
target's gateway, URL, model, auth mode and headers (secrets redacted), the retry policy and
timeouts, the worst-case number of requests and time, and warnings about targets the deadline
can never reach.

Options:
  --json       Print the plan and the warnings as JSON
`,
  chat: `Usage: switchyard chat <alias> <prompt...> [--config file] [--no-stream] [--system text] [--max-tokens n]

Sends the prompt through <alias>, streams the answer to stdout, then prints on stderr which
upstream served it and how many attempts it took. The config's credentials are used as written.

Options:
  --no-stream          Wait for the whole answer instead of streaming
  --system <text>      A system message
  --max-tokens <n>     Limit the answer's length
`,
  emulate: `Usage: switchyard emulate [--port n] [--config file] [--fault json]... [--faults file]

Runs the gateway emulator on 127.0.0.1: Cloudflare AI Gateway's compat API (with the auth rules
of the config's Cloudflare gateways) and the OpenAI-compatible shape of the others. Point a
gateway's baseURL at the printed address. Stops on Ctrl-C.

Options:
  -p, --port <n>       Port (default 8787; 0 picks a free one)
  --fault <json>       A fault rule, e.g. '{"match":{"model":"openai/gpt-4o-mini"},"times":2,"fault":{"type":"status","status":503}}'
                       (repeatable)
  --faults <file>      A JSON or YAML file with a list of fault rules
  --quiet              Do not print each request
`,
  serve: serveHelp,
  schema: `Usage: switchyard schema

Prints the configuration's JSON Schema (draft-07). Editors use it through
  # yaml-language-server: $schema=<path to schema>
`,
};

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs the CLI; resolves with the exit code. `emulate` resolves when `signal` aborts. */
export async function runCli(options: {
  argv: readonly string[];
  io: CliIO;
  signal?: AbortSignal;
}): Promise<number> {
  const { argv, io } = options;
  const [command, ...rest] = argv;
  const err = paintFor({ stream: io.stderr, env: io.env });
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.stdout.write(usage);
      return command === undefined ? exitUsage : 0;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${readVersion()}\n`);
      return 0;
    }
    if (!Object.hasOwn(help, command)) throw new UsageError(`unknown command "${command}"`);
    if (rest.includes('-h') || rest.includes('--help')) {
      io.stdout.write(help[command] ?? usage);
      return 0;
    }
    switch (command) {
      case 'validate':
        return validateCommand(rest, io);
      case 'plan':
        return planCommand(rest, io);
      case 'chat':
        return await chatCommand(rest, io);
      case 'emulate':
        return await emulateCommand(rest, io, options.signal);
      case 'serve':
        return await serveCommand({ args: rest, io, signal: options.signal });
      default:
        io.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
        return 0;
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ServeUsageError ||
      (error instanceof TypeError &&
        (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr.write(
        `${err.red('error:')} ${error.message}\n\n${command !== undefined && Object.hasOwn(help, command) ? help[command] : usage}`,
      );
      return exitUsage;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`${err.red('error:')} ${error.message}\n`);
      return exitFailure;
    }
    if (isRouterError(error)) {
      io.stderr.write(`${err.red('error:')} ${error.message}\n`);
      return exitFailure;
    }
    io.stderr.write(
      `${err.red('error:')} ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitFailure;
  }
}

function loadFrom(config: string | undefined, io: CliIO): RouteTable {
  return loadConfig(config, { env: io.env });
}

function validateCommand(args: readonly string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean' }, config: { type: 'string', short: 'c' } },
  });
  if (positionals.length > 1) throw new UsageError('validate takes at most one file');
  const file = positionals[0] ?? values.config;
  const paint = paintFor({ stream: io.stdout, env: io.env });
  try {
    const table = loadFrom(file, io);
    const warnings = findConfigWarnings(table);
    if (values.json === true) {
      io.stdout.write(
        `${JSON.stringify({ ok: true, file: table.source, issues: [], warnings })}\n`,
      );
    } else {
      const count = (record: object, noun: string) =>
        `${Object.keys(record).length} ${noun}${Object.keys(record).length === 1 ? '' : 's'}`;
      io.stdout.write(
        `${paint.green('✓')} ${table.source} is valid: ${count(table.gateways, 'gateway')}, ${count(table.upstreams, 'upstream')}, ${count(table.aliases, 'alias')}\n`.replace(
          'aliass',
          'aliases',
        ),
      );
      for (const warning of warnings)
        io.stdout.write(
          `${paint.yellow('warning:')} alias "${warning.alias}": ${warning.message}\n`,
        );
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (values.json === true) {
      io.stdout.write(
        `${JSON.stringify({ ok: false, file: error.file, code: error.code, issues: error.issues })}\n`,
      );
      return exitFailure;
    }
    throw error;
  }
}

/** Plan warnings of every alias (targets the deadline can never reach). */
function findConfigWarnings(
  table: RouteTable,
): { alias: string; target: number; message: string }[] {
  const router = createRouter(table, { env: {}, health: false });
  return Object.keys(table.aliases).flatMap((alias) =>
    findPlanWarnings(router.resolve(alias)).map((warning) => ({ alias, ...warning })),
  );
}

function planCommand(args: readonly string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean' }, config: { type: 'string', short: 'c' } },
  });
  const [model, ...extra] = positionals;
  if (model === undefined) throw new UsageError('plan needs an alias, e.g. switchyard plan fast');
  if (extra.length > 0) throw new UsageError(`plan takes one alias, got ${positionals.length}`);
  const table = loadFrom(values.config, io);
  const router = createRouter(table, { env: {}, health: false });
  const plan = router.resolve(model);
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ plan, warnings: findPlanWarnings(plan) }, null, 2)}\n`);
  } else {
    io.stdout.write(formatPlan({ plan, paint: paintFor({ stream: io.stdout, env: io.env }) }));
  }
  return 0;
}

async function chatCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'no-stream': { type: 'boolean' },
      system: { type: 'string' },
      'max-tokens': { type: 'string' },
    },
  });
  const [model, ...words] = positionals;
  if (model === undefined || words.length === 0)
    throw new UsageError('chat needs an alias and a prompt, e.g. switchyard chat fast "Hello"');
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1))
    throw new UsageError('--max-tokens must be a whole number above 0');
  const table = loadFrom(values.config, io);
  const router = createRouter(table, { env: io.env });
  const messages = [
    ...(values.system === undefined ? [] : [{ role: 'system' as const, content: values.system }]),
    { role: 'user' as const, content: words.join(' ') },
  ];
  const params = { model, messages, ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) };
  const paint = paintFor({ stream: io.stderr, env: io.env });
  const started = performance.now();
  try {
    let route: import('../router/types.ts').RouteInfo;
    if (values['no-stream'] === true) {
      const result = await router.chat.completions.create({ ...params, stream: false }).withRoute();
      io.stdout.write(`${result.data.choices[0]?.message.content ?? ''}\n`);
      route = result.route;
    } else {
      const result = await router.chat.completions.create({ ...params, stream: true }).withRoute();
      for await (const chunk of result.data)
        io.stdout.write(chunk.choices[0]?.delta?.content ?? '');
      io.stdout.write('\n');
      route = result.route;
    }
    const sent = route.attempts.filter((attempt) => attempt.decision !== 'skipped').length;
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    io.stderr.write(
      paint.dim(
        `— served by ${route.upstream} (${route.gateway} → ${route.upstreamModel}) after ${sent} attempt${sent === 1 ? '' : 's'} in ${seconds} s\n`,
      ),
    );
    return 0;
  } finally {
    await router.close();
  }
}

async function emulateCommand(
  args: readonly string[],
  io: CliIO,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', short: 'p' },
      config: { type: 'string', short: 'c' },
      fault: { type: 'string', multiple: true },
      faults: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port must be a port number (0 to 65535)');
  const rules: FaultRule[] = [];
  const sources: string[] = [];
  for (const text of values.fault ?? []) {
    rules.push(parseRule(text, '--fault'));
    sources.push('--fault');
  }
  if (values.faults !== undefined) {
    const list = parseYaml(readFileSync(values.faults, 'utf8')) as unknown;
    if (!Array.isArray(list))
      throw new UsageError(`${values.faults} must hold a list of fault rules`);
    for (const item of list) {
      rules.push(parseRule(item, values.faults));
      sources.push(values.faults);
    }
  }
  // The config is optional: without one, every Cloudflare gateway is open.
  const hasConfig = values.config !== undefined || io.env['SWITCHYARD_CONFIG'] !== undefined;
  const table = hasConfig ? loadFrom(values.config, io) : undefined;
  // A rule that can never match would leave a test without the failure it meant to inject.
  const problems = faultRuleProblems({ rules, sources, table });
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const emulator = await startEmulator({
    port,
    faults: rules,
    cloudflare: { gateways: table === undefined ? {} : emulatedGateways(table) },
  });
  const paint = paintFor({ stream: io.stdout, env: io.env });
  io.stdout.write(
    `${paint.bold('switchyard emulator')} listening on ${paint.cyan(emulator.url)}\n`,
  );
  for (const line of baseURLHints(table, emulator.url)) io.stdout.write(`  ${line}\n`);
  if (rules.length > 0)
    io.stdout.write(`  ${rules.length} fault rule${rules.length === 1 ? '' : 's'} installed\n`);
  io.stdout.write(paint.dim('Ctrl-C to stop.\n'));

  let printed = 0;
  const report = () => {
    if (values.quiet === true) return;
    const requests = emulator.requests;
    while (printed < requests.length && requests[printed]?.outcome !== undefined) {
      const request = requests[printed];
      printed += 1;
      if (request === undefined) continue;
      const fault =
        request.fault === undefined ? '' : paint.yellow(` [fault: ${request.fault.type}]`);
      io.stdout.write(
        `${request.method} ${request.path} ${request.model ?? ''} → ${request.status ?? request.outcome}${fault}\n`,
      );
    }
  };
  const ticker = setInterval(report, 100);
  await new Promise<void>((resolve) => {
    if (signal?.aborted === true) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(ticker);
  await emulator.close();
  report();
  return 0;
}

function parseRule(value: unknown, source: string): FaultRule {
  try {
    return parseFaultRule(typeof value === 'string' ? JSON.parse(value) : value);
  } catch (error) {
    throw new UsageError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What to set each gateway's baseURL to, to use the emulator. */
function baseURLHints(table: RouteTable | undefined, url: string): string[] {
  if (table === undefined) {
    return [
      `Cloudflare:        baseURL: ${url}   (the /v1/<account>/<gateway>/compat path follows)`,
      `Vercel:            baseURL: ${url}/vercel/v1   (fails the way Vercel does)`,
      `OpenRouter:        baseURL: ${url}/api/v1`,
      `OpenAI-compatible: baseURL: ${url}/v1`,
    ];
  }
  return Object.values(table.gateways).map((gateway) => {
    const suffix =
      gateway.type === 'cloudflare'
        ? ''
        : gateway.type === 'vercel'
          ? '/vercel/v1'
          : gateway.type === 'openrouter'
            ? '/api/v1'
            : new URL(gateway.baseURL).pathname.replace(/\/$/, '');
    return `gateway ${gateway.name} (${gateway.type}): set baseURL: ${url}${suffix}`;
  });
}

function readVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
