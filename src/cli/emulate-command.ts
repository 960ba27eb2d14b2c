/**
 * `switchyard emulate [-- <command>]`: the gateway emulator on a local port, enforcing the
 * config's Cloudflare credentials, with fault rules from `--fault` and `--faults`. Without a
 * command it prints what to set each gateway's `baseURL` to and runs until stopped; with one it
 * runs the command with `SWITCHYARD_EMULATOR_URL` pointing every gateway at the emulator, and
 * exits with the command's code.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { emulatorURLVariable } from '../config/emulator-url.ts';
import type { RouteTable } from '../config/route-table.ts';
import { type Emulator, type FaultRule, parseFaultRule, startEmulator } from '../emulator/index.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import { faultRuleProblems } from './check-fault-rules.ts';
import {
  type Environment,
  formatMissing,
  type Loaded,
  loadFrom,
  readEnvironment,
} from './command-context.ts';
import {
  type CommandHelp,
  commonOptions,
  type OptionDefinitions,
  parseCommandLine,
  UsageError,
} from './command-line.ts';
import { emulatedCloudflare, emulatedOpenAICompatible } from './emulated-gateways.ts';
import { type CliIO, paintFor } from './output.ts';

/** Options of {@link emulateCommand}. */
export type EmulateCommandOptions = {
  /** The arguments after `emulate`. */
  args: readonly string[];
  io: CliIO;
  /** Stops the emulator (and the command it runs). */
  signal: AbortSignal | undefined;
};

/** Runs `switchyard emulate`; resolves with the exit code once stopped (or the command ends). */
export async function emulateCommand(options: EmulateCommandOptions): Promise<number> {
  const { io, signal } = options;
  const { values, command, port } = parseEmulateArgs(options.args);
  const { rules, sources } = readFaultRules(values);
  const env = readEnvironment(values['env-file'], io);
  // The config is optional: without one, every Cloudflare gateway is open.
  const hasConfig =
    values.config !== undefined ||
    env['SWITCHYARD_CONFIG'] !== undefined ||
    existsSync('config.yaml');
  const loaded = hasConfig ? loadFrom({ values, io }) : undefined;
  const table = loaded?.table;
  // A rule that can never match would leave a test without the failure it meant to inject.
  const problems = faultRuleProblems({ rules, sources, table });
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const emulator = await startEmulator({
    port,
    faults: rules,
    // With a keyless gateway in the config, requests without a key are served, as it would.
    ...(table === undefined
      ? {}
      : { cloudflare: emulatedCloudflare(table), ...emulatedOpenAICompatible(table) }),
  });
  // With a command, the command owns stdout: the emulator speaks on stderr.
  const out = command.length > 0 ? io.stderr : io.stdout;
  const paint = paintFor({ stream: out, env: io.env });
  writeBanner({ out, paint, emulator, loaded, table, rules, command });
  const report = values.quiet === true ? () => {} : requestReporter({ out, paint, emulator });
  const ticker = setInterval(report, 100);
  try {
    if (command.length === 0) {
      await new Promise<void>((done) => {
        if (signal?.aborted === true) return done();
        signal?.addEventListener('abort', () => done(), { once: true });
      });
      return 0;
    }
    return await runCommand({
      command,
      env: {
        ...env,
        [emulatorURLVariable]: emulator.url,
        ...(values.config === undefined ? {} : { SWITCHYARD_CONFIG: resolve(values.config) }),
      },
      signal,
    });
  } finally {
    clearInterval(ticker);
    await emulator.close();
    report();
  }
}

/** The options of `switchyard emulate` (besides the common ones), one line each. */
export const emulateOptions = {
  port: {
    type: 'string',
    short: 'p',
    value: '<n>',
    help: 'Port (default 8787, or a free one when running a command)',
  },
  fault: {
    type: 'string',
    multiple: true,
    value: '<json>',
    help: `A fault rule (repeatable), e.g.\n'{"match":{"model":"openai/gpt-4o-mini"},"times":2,"fault":{"type":"status","status":503}}'`,
  },
  faults: {
    type: 'string',
    value: '<file>',
    help: 'A JSON or YAML file with a list of fault rules',
  },
  quiet: { type: 'boolean', help: 'Do not print each request' },
} as const satisfies OptionDefinitions;

/** Help of `switchyard emulate`. */
export const emulateHelp = {
  usage: 'emulate [options] [-- command...]',
  description: `Runs the gateway emulator on 127.0.0.1: Cloudflare AI Gateway's compat endpoint, REST API and
dynamic routes API (with the auth rules of the config's Cloudflare gateways) and the
OpenAI-compatible shape of the others (chat completions, responses, embeddings), with the
config's credentials: a gateway the config gives no key is open, as a local server is. The
config is --config, else $SWITCHYARD_CONFIG, else ./config.yaml when it exists (without one,
every Cloudflare gateway is open).

Without a command, prints each gateway's baseURL for the emulator and runs until Ctrl-C.
With "-- command...", runs the command with SWITCHYARD_EMULATOR_URL set, so every gateway of the
config it loads points at the emulator, then stops and exits with the command's exit code
(e.g. switchyard emulate -- npm test). --env-file variables are passed to the command too.`,
  options: emulateOptions,
} as const satisfies CommandHelp;

function parseEmulateArgs(args: readonly string[]) {
  const separator = args.indexOf('--');
  const command = separator === -1 ? [] : args.slice(separator + 1);
  if (separator !== -1 && command.length === 0)
    throw new UsageError('emulate -- needs a command, e.g. switchyard emulate -- npm test');
  const { values, positionals } = parseCommandLine({
    command: 'emulate',
    args: separator === -1 ? args : args.slice(0, separator),
    options: { ...emulateOptions, ...commonOptions },
  });
  if (positionals.length > 0)
    throw new UsageError(
      `emulate runs a command only after "--": switchyard emulate -- ${positionals.join(' ')}`,
    );
  const port = values.port === undefined ? (command.length > 0 ? 0 : 8787) : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port must be a port number (0 to 65535)');
  return { values, command, port };
}

/** The rules of `--fault` (JSON each) and `--faults` (a YAML list), with where each came from. */
function readFaultRules(values: { fault?: string[] | undefined; faults?: string | undefined }): {
  rules: FaultRule[];
  sources: string[];
} {
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
  return { rules, sources };
}

function parseRule(value: unknown, source: string): FaultRule {
  try {
    return parseFaultRule(typeof value === 'string' ? JSON.parse(value) : value);
  } catch (error) {
    throw new UsageError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Where the emulator listens, what was not checked, the baseURL hints, the faults installed. */
function writeBanner(options: {
  out: CliIO['stdout'];
  paint: ReturnType<typeof paintFor>;
  emulator: Emulator;
  loaded: Loaded | undefined;
  table: RouteTable | undefined;
  rules: readonly FaultRule[];
  command: readonly string[];
}): void {
  const { out, paint, emulator, loaded, rules, command } = options;
  out.write(`${paint.bold('switchyard emulator')} listening on ${paint.cyan(emulator.url)}\n`);
  if (loaded !== undefined) out.write(formatMissing(loaded, paint));
  if (command.length === 0)
    for (const line of baseURLHints(options.table, emulator.url)) out.write(`  ${line}\n`);
  if (rules.length > 0)
    out.write(`  ${rules.length} fault rule${rules.length === 1 ? '' : 's'} installed\n`);
  if (command.length === 0) out.write(paint.dim('Ctrl-C to stop.\n'));
}

/** Prints each finished request once, in order; call it as often as you like. */
function requestReporter(options: {
  out: CliIO['stdout'];
  paint: ReturnType<typeof paintFor>;
  emulator: Emulator;
}): () => void {
  const { out, paint, emulator } = options;
  let printed = 0;
  return () => {
    const requests = emulator.requests;
    while (printed < requests.length && requests[printed]?.outcome !== undefined) {
      const request = requests[printed];
      printed += 1;
      if (request === undefined) continue;
      const fault =
        request.fault === undefined ? '' : paint.yellow(` [fault: ${request.fault.type}]`);
      out.write(
        `${request.method} ${request.path} ${request.model ?? ''} → ${request.status ?? request.outcome}${fault}\n`,
      );
    }
  };
}

/** Runs a command with the terminal's stdio; resolves with its exit code. */
function runCommand(options: {
  command: readonly string[];
  env: Environment;
  signal: AbortSignal | undefined;
}): Promise<number> {
  const [file, ...args] = options.command as [string, ...string[]];
  return new Promise((done, fail) => {
    const child = spawn(file, args, { stdio: 'inherit', env: options.env });
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', stop);
      fail(
        new Error(
          `cannot run "${file}": ${error.code === 'ENOENT' ? 'command not found' : error.message}`,
        ),
      );
    });
    child.once('exit', (code, signalName) => {
      options.signal?.removeEventListener('abort', stop);
      done(code ?? (signalName === null ? 1 : 128 + (signalNumbers[signalName] ?? 0)));
    });
  });
}

const signalNumbers: Readonly<Record<string, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** What to set each gateway's baseURL to, to use the emulator. */
function baseURLHints(table: RouteTable | undefined, url: string): string[] {
  if (table === undefined) {
    return Object.values(gatewayAdapters).map(
      (adapter) =>
        `${`${adapter.label}:`.padEnd(19)}baseURL: ${adapter.emulatorHint({ origin: url })}`,
    );
  }
  return Object.values(table.gateways).map((gateway) => {
    const hint = gatewayAdapters[gateway.type].emulatorHint({ origin: url, gateway });
    return `gateway ${gateway.name} (${gateway.type}): set baseURL: ${hint}`;
  });
}
