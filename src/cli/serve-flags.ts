/**
 * The command line of `switchyard serve`: its options (one line each), its help, and the flags
 * checked with their defaults applied.
 */
import { parseDuration } from '../config/duration.ts';
import { nodeServerDefaults } from '../serve/connection-limits.ts';
import { defaultMaxBodyBytes, defaultMaxBodyBytesInFlight } from '../serve/create-handler.ts';
import { type CommonValues, parseMaxSize } from './command-context.ts';
import {
  type CommandHelp,
  commonOptions,
  type OptionDefinitions,
  parseCommandLine,
  UsageError,
} from './command-line.ts';
import type { CliIO } from './output.ts';

/** The environment variable holding client keys, comma-separated. */
export const serveKeysVariable = 'SWITCHYARD_SERVE_KEYS';

/** The options of `switchyard serve` (besides the common ones), one line each. */
export const serveOptions = {
  port: {
    type: 'string',
    short: 'p',
    value: '<n>',
    help: 'Port (default 4000; 0 picks a free one)',
  },
  host: {
    type: 'string',
    value: '<address>',
    help: `Address to bind (default 127.0.0.1). Any other address needs\nclient keys (serve.keys in the config, or $${serveKeysVariable})`,
  },
  watch: {
    type: 'boolean',
    help: 'Reload the config when the file changes (a broken file is\nreported and the old config keeps serving)',
  },
  'max-body': {
    type: 'string',
    value: '<bytes>',
    help: `Largest request body (default ${defaultMaxBodyBytes})`,
  },
  'shutdown-timeout': {
    type: 'string',
    value: '<time>',
    help: 'How long calls in flight may finish at shutdown (default 10s)',
  },
  quiet: { type: 'boolean', help: 'Do not print a line per request' },
  'max-body-in-flight': {
    type: 'string',
    value: '<bytes>',
    help: `Most request body bytes held at once, all requests together;\npast it a request gets 503 (default ${defaultMaxBodyBytesInFlight})`,
  },
  'max-connections': {
    type: 'string',
    value: '<n>',
    help: `Most connections open at once (default ${nodeServerDefaults.maxConnections})`,
  },
  'headers-timeout': {
    type: 'string',
    value: '<time>',
    help: `Time a client has to send a request's headers (default ${nodeServerDefaults.headersTimeoutMs / 1000}s)`,
  },
  'request-timeout': {
    type: 'string',
    value: '<time>',
    help: `Time a request body has to arrive; never limits a response\n(default ${nodeServerDefaults.requestTimeoutMs / 1000}s)`,
  },
  'keep-alive-timeout': {
    type: 'string',
    value: '<time>',
    help: `How long an idle connection stays open (default ${nodeServerDefaults.keepAliveTimeoutMs / 1000}s)`,
  },
  'log-format': {
    type: 'string',
    value: '<text|json>',
    help: 'Request log lines: text, or one JSON object a line (default text)',
  },
} as const satisfies OptionDefinitions;

/** Help of `switchyard serve`. */
export const serveCommandHelp = {
  usage: 'serve [options]',
  description: `Serves the config's aliases as an OpenAI-compatible API, for any language's OpenAI client:
  POST /v1/chat/completions   POST /v1/embeddings   POST /v1/responses
  GET  /v1/models (the aliases), /v1/models/{id}   GET /metrics (Prometheus)   GET /healthz
"model" is an alias (or <gateway>:<model> without client keys, or with serve.directModels).
Responses carry x-switchyard-upstream and x-switchyard-attempts headers. Stops gracefully on
Ctrl-C or SIGTERM. --max-size also applies on reload; --env-file variables are used at start
and on reload.`,
  options: serveOptions,
  footer: `Environment:
  ${serveKeysVariable}       Client keys, comma-separated, added to serve.keys in the config:
                             every /v1 request must send Authorization: Bearer <key>`,
} as const satisfies CommandHelp;

/** Raised for bad flags; the CLI prints it as one line and exits 2. */
export class ServeUsageError extends UsageError {
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
  /** The common options as given (`--env-file`, `--allow-missing-env` and the above). */
  readonly common: CommonValues;
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
  const { values } = parseCommandLine({
    command: 'serve',
    args: options.args,
    options: { ...serveOptions, ...commonOptions },
    positionals: false,
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
    common: {
      config: values.config,
      'env-file': values['env-file'],
      'allow-missing-env': values['allow-missing-env'],
      'max-size': values['max-size'],
    },
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

function parseDurationFlag(text: string): number | undefined {
  const parsed = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
  return parsed !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}
