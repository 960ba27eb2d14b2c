/**
 * The `switchyard` command line: validate, plan, chat, emulate, serve, routes, schema, types.
 * Every command parses its flags with `parseCommandLine` (`command-line.ts`); output and
 * environment are injectable so tests can run it in-process, and the built `dist/cli.js` runs
 * it as a process.
 *
 * Exit codes: 0 success; 1 the config is invalid or the call failed; 2 bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, isRouterError } from '../errors.ts';
import { configSchema } from '../internal/config-schema.generated.ts';
import { didYouMeanHint } from '../internal/did-you-mean.ts';
import { printableText } from '../internal/printable-text.ts';
import { createRouter } from '../router/create-router.ts';
import type { RouteInfo } from '../router/types.ts';
import { renderAliasTypes } from './alias-types.ts';
import { formatMissing, loadFrom } from './command-context.ts';
import { commonOptions, parseCommandLine, UsageError } from './command-line.ts';
import { emulateCommand } from './emulate-command.ts';
import { formatAttempts } from './format-attempts.ts';
import { findPlanWarnings, formatPlan } from './format-plan.ts';
import {
  chatHelp,
  commandHelp,
  help,
  planHelp,
  schemaHelp,
  typesHelp,
  usage,
  validateHelp,
} from './help-text.ts';
import { type CliIO, paintFor } from './output.ts';
import { routesCommand } from './routes-command.ts';
import { serveCommand } from './serve-command.ts';
import { findValidateWarnings } from './validate-warnings.ts';

/** Exit code: the config is invalid or the call failed. */
export const exitFailure = 1;
/** Exit code: bad usage (unknown command or flag, missing argument). */
export const exitUsage = 2;

/** Runs the CLI; resolves with the exit code. `emulate` resolves when `signal` aborts. */
export async function runCli(options: {
  argv: readonly string[];
  io: CliIO;
  signal?: AbortSignal;
}): Promise<number> {
  const { argv, io } = options;
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help') {
      io.stdout.write(usage);
      return command === undefined ? exitUsage : 0;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${readVersion()}\n`);
      return 0;
    }
    if (command === 'help') return helpCommand(rest, io);
    if (!Object.hasOwn(help, command)) throw unknownCommand(command);
    // Before `--`, where emulate's own command line starts.
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (own.includes('-h') || own.includes('--help')) {
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
        return await emulateCommand({ args: rest, io, signal: options.signal });
      case 'serve':
        return await serveCommand({ args: rest, io, signal: options.signal });
      case 'types':
        return typesCommand(rest, io);
      case 'routes':
        return await routesCommand({
          args: rest,
          io,
          load: (values) => {
            const loaded = loadFrom({ values, io });
            io.stderr.write(formatMissing(loaded, paintFor({ stream: io.stderr, env: io.env })));
            return loaded;
          },
        });
      default:
        parseCommandLine({ command, args: rest, options: schemaHelp.options, positionals: false });
        io.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
        return 0;
    }
  } catch (error) {
    return reportError({ error, command, io });
  }
}

/** `switchyard help [command]`: the same text as `<command> --help`. */
function helpCommand(args: readonly string[], io: CliIO): number {
  const [command, ...extra] = args;
  if (extra.length > 0) throw new UsageError('help takes one command, e.g. switchyard help serve');
  if (command === undefined) {
    io.stdout.write(usage);
    return 0;
  }
  if (!Object.hasOwn(help, command)) throw unknownCommand(command);
  io.stdout.write(help[command] ?? usage);
  return 0;
}

function unknownCommand(command: string): UsageError {
  return new UsageError(
    `unknown command "${command}"${didYouMeanHint(command, Object.keys(commandHelp))}; run "switchyard --help" for the commands`,
  );
}

/** How a command's failure is shown, and the exit code it ends with. */
function reportError(options: { error: unknown; command: string | undefined; io: CliIO }): number {
  const { error, command, io } = options;
  const err = paintFor({ stream: io.stderr, env: io.env });
  if (error instanceof UsageError) {
    const pointer =
      command !== undefined && Object.hasOwn(help, command) && !error.message.includes('--help')
        ? `; see "switchyard ${command} --help"`
        : '';
    io.stderr.write(`${err.red('error:')} ${printableText(error.message)}${pointer}\n`);
    return exitUsage;
  }
  // Messages quote outside text (config excerpts, upstream errors): no escapes reach the terminal.
  if (error instanceof ConfigError) {
    io.stderr.write(`${err.red('error:')} ${printableText(error.message)}\n`);
    if (command !== 'types' && error.issues.some((issue) => issue.code === 'ENV_VAR_MISSING'))
      io.stderr.write(
        `${err.dim('hint: pass the variables with --env-file <file>, or check everything else with --allow-missing-env')}\n`,
      );
    return exitFailure;
  }
  if (isRouterError(error)) {
    io.stderr.write(`${err.red('error:')} ${printableText(error.message)}\n`);
    return exitFailure;
  }
  io.stderr.write(
    `${err.red('error:')} ${printableText(error instanceof Error ? error.message : String(error))}\n`,
  );
  return exitFailure;
}

function validateCommand(args: readonly string[], io: CliIO): number {
  const { values, positionals } = parseCommandLine({
    command: 'validate',
    args,
    options: { ...validateHelp.options, ...commonOptions },
  });
  if (positionals.length > 1) throw new UsageError('validate takes at most one file');
  const file = positionals[0] ?? values.config;
  const paint = paintFor({ stream: io.stdout, env: io.env });
  try {
    const loaded = loadFrom({ values, config: file, io });
    const { table } = loaded;
    const warnings = findValidateWarnings(table);
    if (values.json === true) {
      io.stdout.write(
        `${JSON.stringify({ ok: true, file: table.source, issues: [], warnings, missingEnv: loaded.missing })}\n`,
      );
    } else {
      const count = (record: object, one: string, many = `${one}s`) =>
        `${Object.keys(record).length} ${Object.keys(record).length === 1 ? one : many}`;
      io.stdout.write(
        `${paint.green('✓')} ${table.source} is valid: ${count(table.gateways, 'gateway')}, ${count(table.upstreams, 'upstream')}, ${count(table.aliases, 'alias', 'aliases')}\n`,
      );
      io.stdout.write(formatMissing(loaded, paint));
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

function typesCommand(args: readonly string[], io: CliIO): number {
  const { values } = parseCommandLine({
    command: 'types',
    args,
    options: { ...typesHelp.options, ...commonOptions },
    positionals: false,
  });
  const { table } = loadFrom({ values, allowMissingEnv: true, io });
  const text = renderAliasTypes(table);
  const out = values.out ?? 'switchyard-aliases.d.ts';
  if (out === '-') {
    io.stdout.write(text);
  } else {
    writeFileSync(out, text);
    const count = Object.keys(table.aliases).length;
    io.stdout.write(`wrote ${out}: ${count} alias${count === 1 ? '' : 'es'}\n`);
  }
  return 0;
}

function planCommand(args: readonly string[], io: CliIO): number {
  const { values, positionals } = parseCommandLine({
    command: 'plan',
    args,
    options: { ...planHelp.options, ...commonOptions },
  });
  const [model, ...extra] = positionals;
  if (model === undefined) throw new UsageError('plan needs an alias, e.g. switchyard plan fast');
  if (extra.length > 0) throw new UsageError(`plan takes one alias, got ${positionals.length}`);
  const loaded = loadFrom({ values, io });
  io.stderr.write(formatMissing(loaded, paintFor({ stream: io.stderr, env: io.env })));
  const router = createRouter(loaded.table, { env: {}, health: false });
  const plan = router.resolve(model);
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ plan, warnings: findPlanWarnings(plan) }, null, 2)}\n`);
  } else {
    io.stdout.write(formatPlan({ plan, paint: paintFor({ stream: io.stdout, env: io.env }) }));
  }
  return 0;
}

async function chatCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine({
    command: 'chat',
    args,
    options: { ...chatHelp.options, ...commonOptions },
  });
  const [model, ...words] = positionals;
  if (model === undefined || words.length === 0)
    throw new UsageError('chat needs an alias and a prompt, e.g. switchyard chat fast "Hello"');
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1))
    throw new UsageError('--max-tokens must be a whole number above 0');
  const loaded = loadFrom({ values, io });
  io.stderr.write(formatMissing(loaded, paintFor({ stream: io.stderr, env: io.env })));
  const { table, env } = loaded;
  const router = createRouter(table, { env });
  const messages = [
    ...(values.system === undefined ? [] : [{ role: 'system' as const, content: values.system }]),
    { role: 'user' as const, content: words.join(' ') },
  ];
  const params = { model, messages, ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) };
  const paint = paintFor({ stream: io.stderr, env: io.env });
  const started = performance.now();
  try {
    let route: RouteInfo;
    if (values['no-stream'] === true) {
      const result = await router.chat.completions.create({ ...params, stream: false }).withRoute();
      io.stdout.write(`${printableText(result.data.choices[0]?.message.content ?? '')}\n`);
      route = result.route;
    } else {
      const result = await router.chat.completions.create({ ...params, stream: true }).withRoute();
      for await (const chunk of result.data)
        io.stdout.write(printableText(chunk.choices[0]?.delta?.content ?? ''));
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
  } catch (error) {
    // Every target failed (or the deadline passed): the attempt log says what each one did.
    const attempts = isRouterError(error) ? error.attempts : undefined;
    if (attempts === undefined || attempts.length === 0) throw error;
    io.stderr.write(`${paint.red('error:')} ${printableText((error as Error).message)}\n`);
    io.stderr.write(formatAttempts({ attempts, paint }));
    return exitFailure;
  } finally {
    await router.close();
  }
}

function readVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
