/**
 * `switchyard serve`: the config's router as a local OpenAI-compatible HTTP server, so any
 * language's OpenAI client (Python, Go, curl) uses the same YAML. Binds 127.0.0.1 unless told
 * otherwise, and refuses any other address without client keys. Stops gracefully on
 * SIGINT/SIGTERM (the `signal`): stops accepting, lets calls in flight finish up to the grace
 * period, then closes the router.
 */
import type { RouteTable } from '../config/route-table.ts';
import { type ConfigWatcher, watchConfig } from '../config/watch-config.ts';
import { singleLineText } from '../internal/printable-text.ts';
import { createRouter } from '../router/create-router.ts';
import type { Router } from '../router/types.ts';
import type { ClientKey } from '../serve/client-keys.ts';
import { createServeHandler, type ServeRequestLog } from '../serve/create-handler.ts';
import { startNodeServer } from '../serve/node-server.ts';
import { loadFrom } from './command-context.ts';
import { type CliIO, paintFor } from './output.ts';
import {
  parseServeFlags,
  type ServeFlags,
  ServeUsageError,
  serveKeysVariable,
} from './serve-flags.ts';

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
  const { table, env } = loadFrom({ values: flags.common, io });
  const router = createRouter(table, { env });
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
    ? watchForReloads({
        file: flags.config,
        maxSize: flags.maxSize,
        allowMissingEnv: flags.common['allow-missing-env'] === true,
        env,
        router,
        io,
      })
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
  /** `--allow-missing-env`: a reload fills unset variables with placeholders, as at start. */
  readonly allowMissingEnv: boolean;
  /** The environment the config was loaded with (`--env-file` under the process's). */
  readonly env: CliIO['env'];
  readonly router: Router;
  readonly io: CliIO;
};

/** `--watch`: reloads the router on change, printing each reload and each rejected file. */
function watchForReloads(options: WatchForReloadsOptions): ConfigWatcher {
  const { file, maxSize, allowMissingEnv, env, router, io } = options;
  const out = paintFor({ stream: io.stdout, env: io.env });
  const err = paintFor({ stream: io.stderr, env: io.env });
  return watchConfig(file, {
    router,
    env,
    ...(maxSize === undefined ? {} : { limits: { maxSize } }),
    ...(allowMissingEnv ? { onMissingEnv: () => {} } : {}),
    onReload: (state) =>
      io.stdout.write(`${out.green('✓')} reloaded ${state.file}: ${countAliases(state.table)}\n`),
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

/** `1 alias`, `3 aliases`. */
function countAliases(table: RouteTable): string {
  const count = Object.keys(table.aliases).length;
  return `${count} ${count === 1 ? 'alias' : 'aliases'}`;
}

function describeKeys(counts: { fromEnv: number; fromConfig: number }): string {
  const parts = [
    ...(counts.fromConfig > 0 ? [`${counts.fromConfig} from serve.keys`] : []),
    ...(counts.fromEnv > 0 ? [`${counts.fromEnv} from ${serveKeysVariable}`] : []),
  ];
  return parts.length === 0 ? 'none (loopback only)' : parts.join(', ');
}
