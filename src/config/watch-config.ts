/**
 * `watchConfig(path, { router })`: hot reload for long-running Node processes. When the config
 * file changes, its new text goes through the same pipeline as `loadConfig` (read, parse,
 * interpolate, validate, compile) and, only if all of it passes, `router.reload(table)` swaps
 * the new config in atomically. A file with any problem leaves the old config serving and is
 * reported. Node only, like `loadConfig`.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, isRouterError } from '../errors.ts';
import { type LoadConfigOptions, loadConfig, readConfigFile } from './load-config.ts';
import { parseConfig } from './parse-config.ts';
import type { RouteTable } from './route-table.ts';
import { defaultYamlLimits } from './yaml-source.ts';

/** State passed to `onReload`: a new config is now serving. */
export type ConfigReloadState = {
  /** The config file, as given (or as found through `$SWITCHYARD_CONFIG`). */
  readonly file: string;
  /** The config now serving. */
  readonly table: RouteTable;
  /** The config it replaced (calls that started on it finish on it). */
  readonly previous: RouteTable;
};

/** State passed to `onError`: the file changed but could not be loaded; the old config serves on. */
export type ConfigReloadErrorState = {
  readonly file: string;
  /** Every problem found (`CONFIG_NOT_FOUND` when the file could not be read). */
  readonly error: ConfigError;
};

/** Options of {@link watchConfig}. */
export type WatchConfigOptions = LoadConfigOptions & {
  /** The router to reload (a `Router`, or anything with its `reload` and `config`). */
  router: { reload(table: RouteTable): void; config(): RouteTable };
  /**
   * Called after a new config was swapped in. An exception thrown here is ignored.
   * @default undefined (nothing is called)
   */
  onReload?: (state: ConfigReloadState) => void;
  /**
   * Called when the changed file has a problem; the router keeps its current config. Every
   * failure of a reload arrives here, never as an exception from a timer (one that is not a
   * config problem comes wrapped in a `ConfigError`, the original as its `cause`). An
   * exception thrown here is ignored.
   * @default a process warning (`process.emitWarning`, code `SWITCHYARD_CONFIG_RELOAD`)
   */
  onError?: (state: ConfigReloadErrorState) => void;
  /**
   * Quiet time after the last file event before the file is read, in ms: editors and deploy
   * tools write a file in several steps. A new text is applied only when a second read, this
   * long after the first, finds it unchanged; a writer that can pause longer than that mid-file
   * should write atomically (a temporary file renamed over the config).
   * @default 100
   */
  debounceMs?: number;
  /**
   * Also re-read the file every this many ms, for file systems where change events do not
   * arrive (some network and container mounts). 0 turns polling off.
   * @default 0
   */
  pollMs?: number;
  /**
   * Whether the watcher alone keeps the process running. Off by default: a server keeps its
   * process alive anyway, and a process that is done should not hang on a watcher.
   * @default false
   */
  persistent?: boolean;
  /**
   * Stops watching when aborted (same as `close()`).
   * @default undefined (watches until `close()`)
   */
  signal?: AbortSignal;
};

/** What one look at the file did. */
export type ConfigCheckResult =
  /** A new config is serving. */
  | 'reloaded'
  /** The file's text is the one already serving (or already reported): nothing to do. */
  | 'unchanged'
  /** The file has a problem; reported, and the old config serves on. */
  | 'invalid'
  /** The watcher (or the router) is closed. */
  | 'closed';

/** A running watch. */
export type ConfigWatcher = {
  /**
   * Reads the file now and reloads if its text changed (e.g. on `SIGHUP`, or where change
   * events are unreliable): one read, no wait for a second. Synchronous; never throws.
   */
  check(): ConfigCheckResult;
  /** Stops watching. Idempotent. */
  close(): void;
  /** Whether the watcher is closed (by `close()`, the signal, or a closed router). */
  readonly closed: boolean;
};

/**
 * Watches a config file and reloads `router` when its content changes. `path` resolves like
 * `loadConfig`'s: the path given, else `$SWITCHYARD_CONFIG`, else `./config.yaml`.
 *
 * - The new text is validated fully first; on any problem the router keeps its config and
 *   `onError` gets the `ConfigError`.
 * - A write that leaves the text as it was (a `touch`, a save without edits) is a no-op, and so
 *   is a change back to the text already serving.
 * - Calls in flight finish on the config they started with; health memory carries over for
 *   upstreams that did not change (see `router.reload`).
 * - The file's directory is watched rather than the file, so atomic saves (write a temporary
 *   file, rename it over) and Kubernetes ConfigMap symlink swaps are seen.
 *
 * The text serving at start is taken to be the file's text when `watchConfig` is called, so
 * start watching right after `loadConfig`.
 */
export function watchConfig(path: string | undefined, options: WatchConfigOptions): ConfigWatcher {
  const state = createWatchState(path, options);
  if (options.signal?.aborted) {
    state.closed = true;
  } else {
    startWatching(state, options.pollMs ?? 0);
  }
  return {
    check: () => guardedLook(state, { confirm: false }),
    close: state.close,
    get closed() {
      return state.closed;
    },
  };
}

/** Everything one running watch holds; the functions below read and update it. */
type WatchState = {
  /** The config file, as given (what errors and hooks name). */
  readonly file: string;
  readonly absolute: string;
  readonly env: NonNullable<LoadConfigOptions['env']>;
  /** What goes on to `parseConfig` and `loadConfig` (the watch's own options removed). */
  readonly loadOptions: LoadConfigOptions;
  readonly router: WatchConfigOptions['router'];
  readonly onReload: WatchConfigOptions['onReload'];
  readonly onError: WatchConfigOptions['onError'];
  readonly signal: AbortSignal | undefined;
  readonly debounceMs: number;
  readonly persistent: boolean;
  /** Stops the watch; one bound function, so the signal's listener can be removed again. */
  readonly close: () => void;
  /** The text of the config serving now. */
  appliedText: string | undefined;
  /** The last text looked at, valid or not: a file reported once is not reported again. */
  seenText: string | typeof missing;
  /** A new text read once by a timer, applied when the next read finds it unchanged. */
  pending: string | undefined;
  closed: boolean;
  debounce: ReturnType<typeof setTimeout> | undefined;
  poll: ReturnType<typeof setInterval> | undefined;
  watcher: FSWatcher | undefined;
};

/** Resolves the file and options, and takes the file's text now as the one serving. */
function createWatchState(path: string | undefined, options: WatchConfigOptions): WatchState {
  const { router, onReload, onError, signal, ...loadOptions } = options;
  const env = loadOptions.env ?? process.env;
  const file = path ?? env['SWITCHYARD_CONFIG'] ?? 'config.yaml';
  const absolute = resolve(file);
  const appliedText = readText(absolute, loadOptions);
  const state: WatchState = {
    file,
    absolute,
    env,
    loadOptions,
    router,
    onReload,
    onError,
    signal,
    debounceMs: options.debounceMs ?? 100,
    persistent: options.persistent ?? false,
    close: () => closeWatch(state),
    appliedText,
    seenText: appliedText ?? missing,
    pending: undefined,
    closed: false,
    debounce: undefined,
    poll: undefined,
    watcher: undefined,
  };
  return state;
}

/** Watches the file's directory (and polls, when asked) until closed. */
function startWatching(state: WatchState, pollMs: number): void {
  // Every event in the directory leads to a (debounced) read: renames of temporary files and
  // of Kubernetes' `..data` link do not name the config file itself, and a read is cheap.
  state.watcher = watch(dirname(state.absolute), { persistent: state.persistent }, () =>
    scheduleLook(state),
  );
  state.watcher.on('error', () => {
    // The directory went away or cannot be watched any more: fall back to polling.
    state.watcher?.close();
    state.watcher = undefined;
    if (state.poll === undefined && !state.closed) {
      startPolling(state, Math.max(state.debounceMs, 1000));
    }
  });
  if (pollMs > 0) startPolling(state, pollMs);
  state.signal?.addEventListener('abort', state.close, { once: true });
}

function startPolling(state: WatchState, everyMs: number): void {
  state.poll = setInterval(() => guardedLook(state, { confirm: true }), everyMs);
  if (!state.persistent) state.poll.unref();
}

/** Reads the file `debounceMs` after the last call (a timer restarted by each event). */
function scheduleLook(state: WatchState): void {
  if (state.closed) return;
  if (state.debounce !== undefined) clearTimeout(state.debounce);
  state.debounce = setTimeout(() => {
    state.debounce = undefined;
    guardedLook(state, { confirm: true });
  }, state.debounceMs);
  if (!state.persistent) state.debounce.unref();
}

function closeWatch(state: WatchState): void {
  if (state.closed) return;
  state.closed = true;
  if (state.debounce !== undefined) clearTimeout(state.debounce);
  if (state.poll !== undefined) clearInterval(state.poll);
  state.watcher?.close();
  state.signal?.removeEventListener('abort', state.close);
}

type LookOptions = {
  /**
   * Apply a new text only once a second read, `debounceMs` later, finds it unchanged (timers
   * and polls); `check()` applies on the first read.
   */
  confirm: boolean;
};

/** Never throws: a watcher's timer must not take the process down. */
function guardedLook(state: WatchState, options: LookOptions): ConfigCheckResult {
  try {
    return lookAtFile(state, options);
  } catch (error) {
    reportReloadError(state, toConfigError(state.file, error));
    return 'invalid';
  }
}

/**
 * One look at the file. With `confirm`, a new text is applied only once a second read finds the
 * same text: a writer that pauses mid-file leaves a prefix that may itself be a valid config,
 * and that prefix must not go live.
 */
function lookAtFile(state: WatchState, { confirm }: LookOptions): ConfigCheckResult {
  if (state.closed) return 'closed';
  const text = readText(state.absolute, state.loadOptions);
  if (text === undefined) return lookAtMissingFile(state);
  if (text === state.seenText || text === state.appliedText) {
    state.pending = undefined;
    state.seenText = text;
    return 'unchanged';
  }
  if (confirm && text !== state.pending) {
    state.pending = text;
    scheduleLook(state);
    return 'unchanged';
  }
  state.pending = undefined;
  state.seenText = text;
  return applyText(state, text);
}

/** The file could not be read: reported once, until it is back. */
function lookAtMissingFile(state: WatchState): ConfigCheckResult {
  state.pending = undefined;
  if (state.seenText === missing) return 'unchanged';
  state.seenText = missing;
  // Let loadConfig build its own CONFIG_NOT_FOUND error (same message as at start-up).
  try {
    loadConfig(state.file, { ...state.loadOptions, env: state.env });
  } catch (error) {
    reportReloadError(state, toConfigError(state.file, error));
    return 'invalid';
  }
  // The file came back between the two reads: look again soon.
  scheduleLook(state);
  return 'unchanged';
}

/** Parses and swaps in `text`. */
function applyText(state: WatchState, text: string): ConfigCheckResult {
  const { file, router } = state;
  let table: RouteTable;
  try {
    table = parseConfig(text, { ...state.loadOptions, env: state.env, file });
  } catch (error) {
    reportReloadError(state, toConfigError(file, error));
    return 'invalid';
  }
  const previous = router.config();
  try {
    router.reload(table);
  } catch (error) {
    if (isRouterError(error) && error.code === 'ROUTER_CLOSED') {
      closeWatch(state);
      return 'closed';
    }
    reportReloadError(state, toConfigError(file, error));
    return 'invalid';
  }
  state.appliedText = text;
  try {
    state.onReload?.({ file, table, previous });
  } catch {
    // Ignored, like the router's hooks.
  }
  return 'reloaded';
}

/** Hands a failed reload to `onError`, or to a process warning when there is none. */
function reportReloadError(state: WatchState, error: ConfigError): void {
  if (state.onError === undefined) {
    process.emitWarning(`config not reloaded, the previous one still serves: ${error.message}`, {
      code: 'SWITCHYARD_CONFIG_RELOAD',
    });
    return;
  }
  try {
    state.onError({ file: state.file, error });
  } catch {
    // A hook's exception must not stop the watcher.
  }
}

/** Turns anything thrown while loading into the ConfigError `onError` receives. */
function toConfigError(file: string, error: unknown): ConfigError {
  if (error instanceof ConfigError) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new ConfigError({
    file,
    issues: [
      {
        code: 'INVALID_VALUE',
        path: [],
        message: `the config could not be applied (${kind}); the previous one still serves`,
      },
    ],
    cause: error,
  });
}

/** Stands for "the file could not be read" among texts. */
const missing = Symbol('missing');

/**
 * The file's text, or undefined when it cannot be read as a config (missing, not a regular
 * file, too large): never blocks on a FIFO, never reads past the size limit.
 */
function readText(absolute: string, options: LoadConfigOptions): string | undefined {
  try {
    return readConfigFile({
      file: absolute,
      maxSize: options.limits?.maxSize ?? defaultYamlLimits.maxSize,
    });
  } catch {
    return undefined;
  }
}
