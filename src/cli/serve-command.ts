/**
 * `switchyard serve`: the config's router as a local OpenAI-compatible HTTP server, so any
 * language's OpenAI client (Python, Go, curl) uses the same YAML. Binds 127.0.0.1 unless told
 * otherwise, and refuses any other address without client keys. Stops gracefully on
 * SIGINT/SIGTERM (the `signal`): stops accepting, lets calls in flight finish up to the grace
 * period, then closes the router.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.ts';
import { loadConfig } from '../config/load-config.ts';
import type { RouteTable } from '../config/route-table.ts';
import { type ConfigWatcher, watchConfig } from '../config/watch-config.ts';
import { singleLineText } from '../internal/printable-text.ts';
import { createRouter } from '../router/create-router.ts';
import type { Router } from '../router/types.ts';
import type { ClientKey } from '../serve/client-keys.ts';
import { nodeServerDefaults } from '../serve/connection-limits.ts';
import {
  createServeHandler,
  defaultMaxBodyBytes,
  defaultMaxBodyBytesInFlight,
  type ServeRequestLog,
} from '../serve/create-handler.ts';
import { startNodeServer } from '../serve/node-server.ts';
import { parseMaxSize } from './command-context.ts';
import { type CliIO, paintFor } from './output.ts';

/** The environment variable holding client keys, comma-separated. */
export const serveKeysVariable = 'SWITCHYARD_SERVE_KEYS';

/** Help text of `switchyard serve`. */
export const serveHelp = `Usage: switchyard serve [--config file] [--port n] [--host address] [--watch]

Serves the config's aliases as an OpenAI-compatible API, for any language's OpenAI client:
  POST /v1/chat/completions   POST /v1/embeddings   POST /v1/responses
  GET  /v1/models (the aliases), /v1/models/{id}   GET /metrics (Prometheus)   GET /healthz
"model" is an alias (or <gateway>:<model> without client keys, or with serve.directModels).
Responses carry x-switchyard-upstream and x-switchyard-attempts headers. Stops gracefully on
Ctrl-C or SIGTERM.

Options:
  -p, --port <n>             Port (default 4000; 0 picks a free one)
  --host <address>           Address to bind (default 127.0.0.1). Any other address needs
                             client keys (serve.keys in the config, or $${serveKeysVariable})
  --watch                    Reload the config when the file changes (a broken file is
                             reported and the old config keeps serving)
  --max-body <bytes>         Largest request body (default ${defaultMaxBodyBytes})
  --max-body-in-flight <bytes>
                             Most request body bytes held at once, all requests together;
                             past it a request gets 503 (default ${defaultMaxBodyBytesInFlight})
  --max-connections <n>      Most connections open at once (default ${nodeServerDefaults.maxConnections})
  --headers-timeout <time>   Time a client has to send a request's headers (default ${nodeServerDefaults.headersTimeoutMs / 1000}s)
  --request-timeout <time>   Time a request body has to arrive; never limits a response
                             (default ${nodeServerDefaults.requestTimeoutMs / 1000}s)
  --keep-alive-timeout <time>
                             How long an idle connection stays open (default ${nodeServerDefaults.keepAliveTimeoutMs / 1000}s)
  --log-format <text|json>   Request log lines: text, or one JSON object a line (default text)
  --max-size <characters>    Largest config accepted, at start and on reload (default 32768)
  --shutdown-timeout <time>  How long calls in flight may finish at shutdown (default 10s)
  --quiet                    Do not print a line per request

Environment:
  ${serveKeysVariable}       Client keys, comma-separated, added to serve.keys in the config:
                             every /v1 request must send Authorization: Bearer <key>
`;

/** Raised for bad flags; the CLI prints it with the help text and exits 2. */
export class ServeUsageError extends Error {
  override readonly name = 'ServeUsageError';
}

/** `--max-size`, checked as every command checks it. */
function parseServeMaxSize(value: string | undefined): number | undefined {
  try {
    return parseMaxSize(value);
  } catch (error) {
    throw new ServeUsageError((error as Error).message);
  }
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

/** Options of {@link serveCommand}. */
export type ServeCommandOptions = {
  args: readonly string[];
  io: CliIO;
  /** Aborted on SIGINT/SIGTERM: starts the graceful shutdown. */
  signal: AbortSignal | undefined;
  /** Called once the server listens (tests read the URL from it). */
  onListening?: (url: string) => void;
};

/** Runs the server until `signal` aborts; resolves with the exit code. */
export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  const { io, signal } = options;
  const flags = parseServeFlags({ args: options.args, env: io.env });
  const { host, port } = flags;
  const limits = flags.maxSize === undefined ? {} : { limits: { maxSize: flags.maxSize } };
  const table = loadConfig(flags.config, { env: io.env, ...limits });
  const router = createRouter(table, { env: io.env });
  const keys = createKeySource({ router, envKeys: flags.envKeys, host, io });
  if (!loopbackHosts.has(host) && keys().length === 0) {
    await router.close();
    throw new ServeUsageError(
      `binding ${host} would let anyone who can reach it spend your gateway credentials. Set client keys in serve.keys in the config or in ${serveKeysVariable} (comma-separated); clients send "Authorization: Bearer <key>". Or bind 127.0.0.1.`,
    );
  }
  const format = flags.logFormat === 'json' ? formatRequestJson : formatRequestLine;
  const handler = createServeHandler({
    router,
    keys,
    maxBodyBytes: flags.maxBodyBytes,
    maxBodyBytesInFlight: flags.maxBodyBytesInFlight,
    ...(flags.quiet ? {} : { onRequest: (log) => io.stdout.write(`${format(log, new Date())}\n`) }),
  });
  const watcher = flags.watch
    ? watchForReloads({ file: flags.config, maxSize: flags.maxSize, router, io })
    : undefined;
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  try {
    server = await startNodeServer({ handler, host, port, ...flags.connections });
  } catch (error) {
    watcher?.close();
    await router.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'EADDRINUSE')
      throw new ServeUsageError(`port ${port} on ${host} is in use; pick another with --port`);
    throw error;
  }
  printListening({ io, url: server.url, table, router, flags });
  options.onListening?.(server.url);

  await new Promise<void>((resolve) => {
    if (signal === undefined || signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write(
    `stopping: ${server.inFlight} request${server.inFlight === 1 ? '' : 's'} in flight\n`,
  );
  watcher?.close();
  // Closing the router ends each stream still open with an error event, not a cut connection.
  const { cutOff } = await server.close({
    graceMs: flags.graceMs,
    beforeCutOff: () => router.close(),
  });
  await router.close();
  io.stdout.write(
    cutOff === 0
      ? 'stopped\n'
      : `stopped; ${cutOff} request(s) cut off after ${flags.graceMs} ms\n`,
  );
  return 0;
}

/** The flags of `switchyard serve`, checked, with their defaults applied. */
export type ServeFlags = {
  /** `--config`. @default undefined (`$SWITCHYARD_CONFIG`, else `./config.yaml`) */
  readonly config: string | undefined;
  /** `--port`. @default 4000 */
  readonly port: number;
  /** `--host`. @default '127.0.0.1' */
  readonly host: string;
  /** `--watch`. @default false */
  readonly watch: boolean;
  /** `--max-size`, in characters. @default undefined (the library's default limit) */
  readonly maxSize: number | undefined;
  /** `--max-body`, in bytes. @default defaultMaxBodyBytes */
  readonly maxBodyBytes: number;
  /** `--shutdown-timeout`, in ms. @default 10_000 */
  readonly graceMs: number;
  /** `--quiet`. @default false */
  readonly quiet: boolean;
  /** The client keys in `$SWITCHYARD_SERVE_KEYS`. @default [] */
  readonly envKeys: readonly string[];
  /** `--max-body-in-flight`, in bytes. @default defaultMaxBodyBytesInFlight */
  readonly maxBodyBytesInFlight: number;
  /** `--max-connections` and the timeouts, in ms; unset ones keep the server's defaults. */
  readonly connections: {
    readonly maxConnections?: number;
    readonly headersTimeoutMs?: number;
    readonly requestTimeoutMs?: number;
    readonly keepAliveTimeoutMs?: number;
  };
  /** `--log-format`. @default 'text' */
  readonly logFormat: 'text' | 'json';
};

/** Options of {@link parseServeFlags}. */
export type ParseServeFlagsOptions = {
  /** The arguments after `serve`. */
  readonly args: readonly string[];
  /** Where `$SWITCHYARD_SERVE_KEYS` is read. */
  readonly env: CliIO['env'];
};

/** Parses and checks the flags; throws {@link ServeUsageError} naming the bad one. */
export function parseServeFlags(options: ParseServeFlagsOptions): ServeFlags {
  const { values } = parseArgs({
    args: [...options.args],
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      watch: { type: 'boolean' },
      'max-body': { type: 'string' },
      'max-size': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
      quiet: { type: 'boolean' },
      'max-body-in-flight': { type: 'string' },
      'max-connections': { type: 'string' },
      'headers-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      'keep-alive-timeout': { type: 'string' },
      'log-format': { type: 'string' },
    },
  });
  const port = values.port === undefined ? 4000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ServeUsageError('--port must be a port number (0 to 65535)');
  const maxBodyBytes =
    values['max-body'] === undefined ? defaultMaxBodyBytes : Number(values['max-body']);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1)
    throw new ServeUsageError('--max-body must be a whole number of bytes above 0');
  const graceMs = durationFlag('shutdown-timeout', values['shutdown-timeout'], 0) ?? 10_000;
  const logFormat = values['log-format'] ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new ServeUsageError('--log-format must be text or json');
  const connections = {
    ...optional('maxConnections', countFlag('max-connections', values['max-connections'])),
    ...optional('headersTimeoutMs', durationFlag('headers-timeout', values['headers-timeout'], 1)),
    ...optional('requestTimeoutMs', durationFlag('request-timeout', values['request-timeout'], 1)),
    ...optional(
      'keepAliveTimeoutMs',
      durationFlag('keep-alive-timeout', values['keep-alive-timeout'], 1),
    ),
  };
  const envKeys = (options.env[serveKeysVariable] ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  return {
    config: values.config,
    port,
    host: values.host ?? '127.0.0.1',
    watch: values.watch === true,
    maxBodyBytes,
    maxSize: parseServeMaxSize(values['max-size']),
    graceMs,
    quiet: values.quiet === true,
    envKeys,
    maxBodyBytesInFlight:
      countFlag('max-body-in-flight', values['max-body-in-flight']) ?? defaultMaxBodyBytesInFlight,
    connections,
    logFormat,
  };
}

function optional<K extends string>(
  name: K,
  value: number | undefined,
): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, number>);
}

/** A whole number above 0, or undefined when the flag is absent. */
function countFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new ServeUsageError(`--${name} must be a whole number above 0, not "${text}"`);
  return value;
}

/** A duration of at least `minimumMs`, or undefined when the flag is absent. */
function durationFlag(
  name: string,
  text: string | undefined,
  minimumMs: number,
): number | undefined {
  if (text === undefined) return undefined;
  const parsed = parseDurationFlag(text);
  if (parsed === undefined || parsed < minimumMs)
    throw new ServeUsageError(`--${name} must be a duration such as 10s or 500ms, not "${text}"`);
  return parsed;
}

type KeySourceOptions = {
  readonly router: Router;
  readonly envKeys: readonly string[];
  /** The address bound: beyond loopback, a reload never drops every key. */
  readonly host: string;
  readonly io: CliIO;
};

/** The client keys now: `$SWITCHYARD_SERVE_KEYS` and the serving config's `serve.keys`. */
function createKeySource(options: KeySourceOptions): () => readonly ClientKey[] {
  const { router, envKeys, host, io } = options;
  // The config's serve.keys, read again when --watch swaps in a new config.
  let keysFrom: RouteTable | undefined;
  let keys: readonly ClientKey[] = [];
  return () => {
    const serving = router.config();
    if (serving !== keysFrom) {
      keysFrom = serving;
      const next: ClientKey[] = [
        ...envKeys,
        ...(serving.serve?.keys ?? []).map(({ key, models }) =>
          models === undefined ? key.reveal() : { key: key.reveal(), models },
        ),
      ];
      // A reloaded config never opens a server bound beyond loopback: it keeps its old keys.
      if (next.length === 0 && keys.length > 0 && !loopbackHosts.has(host)) {
        io.stderr.write(
          `${paintFor({ stream: io.stderr, env: io.env }).yellow('warning:')} the reloaded config has no serve.keys; keeping the previous keys (${host} is not loopback)\n`,
        );
      } else {
        keys = next;
      }
    }
    return keys;
  };
}

/**
 * One request as the line printed for it:
 * `2026-01-02T03:04:05.678Z POST /v1/chat/completions fast → 200 via cf-mini (1 attempt) 12 ms`.
 * What the client sent (the model, the path) is shown on one line without control characters,
 * so it can neither start a forged line nor colour the terminal.
 */
export function formatRequestLine(log: ServeRequestLog, time?: Date): string {
  const route =
    log.upstream === undefined
      ? ''
      : ` via ${log.upstream} (${log.attempts} attempt${log.attempts === 1 ? '' : 's'})`;
  const model = log.model === undefined ? '' : ` ${singleLineText(log.model)}`;
  const code = log.errorCode === undefined ? '' : ` ${singleLineText(log.errorCode)}`;
  const stamp = time === undefined ? '' : `${time.toISOString()} `;
  return `${stamp}${log.method} ${singleLineText(log.path)}${model} → ${log.status}${code}${route}${log.stream ? ' stream' : ''} ${Math.round(log.durationMs)} ms`;
}

/** One request as a JSON line (`--log-format json`): `{"time": ..., "method": ..., ...}`. */
export function formatRequestJson(log: ServeRequestLog, time: Date): string {
  return JSON.stringify({
    time: time.toISOString(),
    ...log,
    durationMs: Math.round(log.durationMs),
  });
}

type WatchForReloadsOptions = {
  readonly file: string | undefined;
  /** `--max-size`. */
  readonly maxSize: number | undefined;
  readonly router: Router;
  readonly io: CliIO;
};

/** `--watch`: reloads the router on change, printing each reload and each rejected file. */
function watchForReloads({ file, maxSize, router, io }: WatchForReloadsOptions): ConfigWatcher {
  const out = paintFor({ stream: io.stdout, env: io.env });
  const err = paintFor({ stream: io.stderr, env: io.env });
  return watchConfig(file, {
    router,
    env: io.env,
    ...(maxSize === undefined ? {} : { limits: { maxSize } }),
    onReload: (state) =>
      io.stdout.write(
        `${out.green('✓')} reloaded ${state.file}: ${Object.keys(state.table.aliases).length} aliases\n`,
      ),
    onError: (state) =>
      io.stderr.write(
        `${err.red('error:')} ${state.error.message}\n${err.yellow('kept the previous config')}\n`,
      ),
  });
}

type PrintListeningOptions = {
  readonly io: CliIO;
  readonly url: string;
  /** The config loaded at start. */
  readonly table: RouteTable;
  readonly router: Router;
  readonly flags: ServeFlags;
};

/** The start-up banner: where to point clients, which models, which keys. */
function printListening({ io, url, table, router, flags }: PrintListeningOptions): void {
  const out = paintFor({ stream: io.stdout, env: io.env });
  io.stdout.write(
    `${out.bold('switchyard serve')} listening on ${out.cyan(url)} (${table.source})\n`,
  );
  io.stdout.write(`  OpenAI base URL: ${url}/v1\n`);
  io.stdout.write(
    `  models: ${router.aliases().join(', ') || '(no aliases: use <gateway>:<model>)'}\n`,
  );
  io.stdout.write(
    `  client keys: ${describeKeys({ fromEnv: flags.envKeys.length, fromConfig: table.serve?.keys.length ?? 0 })}${flags.watch ? '; watching the config' : ''}\n`,
  );
  io.stdout.write(out.dim('Ctrl-C to stop.\n'));
}

function describeKeys(counts: { fromEnv: number; fromConfig: number }): string {
  const parts = [
    ...(counts.fromConfig > 0 ? [`${counts.fromConfig} from serve.keys`] : []),
    ...(counts.fromEnv > 0 ? [`${counts.fromEnv} from ${serveKeysVariable}`] : []),
  ];
  return parts.length === 0 ? 'none (loopback only)' : parts.join(', ');
}

function parseDurationFlag(text: string): number | undefined {
  const parsed = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  return parsed !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
