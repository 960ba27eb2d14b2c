/**
 * `watchConfig(path, { router })`: hot reload for long-running Node processes. When the config
 * file changes, its new text goes through the same pipeline as `loadConfig` (read, parse,
 * interpolate, validate, compile) and, only if all of it passes, `router.reload(table)` swaps
 * the new config in atomically. A file with any problem leaves the old config serving and is
 * reported. Node only, like `loadConfig`.
 */
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, isRouterError } from '../errors.ts';
import { type LoadConfigOptions, loadConfig } from './load-config.ts';
import { parseConfig } from './parse-config.ts';
import type { RouteTable } from './route-table.ts';

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
  const { router, onReload, onError, signal, ...loadOptions } = options;
  const env = loadOptions.env ?? process.env;
  const file = path ?? env['SWITCHYARD_CONFIG'] ?? 'config.yaml';
  const absolute = resolve(file);
  const debounceMs = options.debounceMs ?? 100;
  const persistent = options.persistent ?? false;

  /** The text of the config serving now. */
  let appliedText = readText(absolute);
  /** The last text looked at, valid or not: a file reported once is not reported again. */
  let seenText: string | typeof missing = appliedText ?? missing;
  /** A new text read once by a timer, applied when the next read finds it unchanged. */
  let pending: string | undefined;
  let closed = false;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let watcher: FSWatcher | undefined;

  const report = (error: ConfigError) => {
    if (onError === undefined) {
      process.emitWarning(`config not reloaded, the previous one still serves: ${error.message}`, {
        code: 'SWITCHYARD_CONFIG_RELOAD',
      });
      return;
    }
    try {
      onError({ file, error });
    } catch {
      // A hook's exception must not stop the watcher.
    }
  };

  /** Turns anything thrown while loading into the ConfigError `onError` receives. */
  const asConfigError = (error: unknown): ConfigError =>
    error instanceof ConfigError
      ? error
      : new ConfigError({
          file,
          issues: [
            {
              code: 'INVALID_VALUE',
              path: [],
              message: `the config could not be applied (${error instanceof Error ? error.name : typeof error}); the previous one still serves`,
            },
          ],
          cause: error,
        });

  /** Parses and swaps in `text`. */
  const apply = (text: string): ConfigCheckResult => {
    let table: RouteTable;
    try {
      table = parseConfig(text, { ...loadOptions, env, file });
    } catch (error) {
      report(asConfigError(error));
      return 'invalid';
    }
    const previous = router.config();
    try {
      router.reload(table);
    } catch (error) {
      if (isRouterError(error) && error.code === 'ROUTER_CLOSED') {
        close();
        return 'closed';
      }
      report(asConfigError(error));
      return 'invalid';
    }
    appliedText = text;
    try {
      onReload?.({ file, table, previous });
    } catch {
      // Ignored, like the router's hooks.
    }
    return 'reloaded';
  };

  /**
   * One look at the file. With `confirm` (timers and polls), a new text is applied only once a
   * second read, `debounceMs` later, finds the same text: a writer that pauses mid-file leaves a
   * prefix that may itself be a valid config, and that prefix must not go live.
   */
  const look = (confirm: boolean): ConfigCheckResult => {
    if (closed) return 'closed';
    const text = readText(absolute);
    if (text === undefined) {
      pending = undefined;
      if (seenText === missing) return 'unchanged';
      seenText = missing;
      // Let loadConfig build its own CONFIG_NOT_FOUND error (same message as at start-up).
      try {
        loadConfig(file, { ...loadOptions, env });
      } catch (error) {
        report(asConfigError(error));
        return 'invalid';
      }
      // The file came back between the two reads: look again soon.
      schedule();
      return 'unchanged';
    }
    if (text === seenText || text === appliedText) {
      pending = undefined;
      seenText = text;
      return 'unchanged';
    }
    if (confirm && text !== pending) {
      pending = text;
      schedule();
      return 'unchanged';
    }
    pending = undefined;
    seenText = text;
    return apply(text);
  };

  /** Never throws: a watcher's timer must not take the process down. */
  const guarded = (confirm: boolean): ConfigCheckResult => {
    try {
      return look(confirm);
    } catch (error) {
      report(asConfigError(error));
      return 'invalid';
    }
  };
  const check = (): ConfigCheckResult => guarded(false);

  const schedule = () => {
    if (closed) return;
    if (debounce !== undefined) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      guarded(true);
    }, debounceMs);
    if (!persistent) debounce.unref();
  };

  const close = () => {
    if (closed) return;
    closed = true;
    if (debounce !== undefined) clearTimeout(debounce);
    if (poll !== undefined) clearInterval(poll);
    watcher?.close();
    signal?.removeEventListener('abort', close);
  };

  if (signal?.aborted) {
    closed = true;
  } else {
    // Every event in the directory leads to a (debounced) read: renames of temporary files and
    // of Kubernetes' `..data` link do not name the config file itself, and a read is cheap.
    const startPolling = (everyMs: number) => {
      poll = setInterval(() => guarded(true), everyMs);
      if (!persistent) poll.unref();
    };
    watcher = watch(dirname(absolute), { persistent }, schedule);
    watcher.on('error', () => {
      // The directory went away or cannot be watched any more: fall back to polling.
      watcher?.close();
      watcher = undefined;
      if (poll === undefined && !closed) startPolling(Math.max(debounceMs, 1000));
    });
    if ((options.pollMs ?? 0) > 0) startPolling(options.pollMs ?? 0);
    signal?.addEventListener('abort', close, { once: true });
  }

  return {
    check,
    close,
    get closed() {
      return closed;
    },
  };
}

/** Stands for "the file could not be read" among texts. */
const missing = Symbol('missing');

function readText(absolute: string): string | undefined {
  try {
    return readFileSync(absolute, 'utf8');
  } catch {
    return undefined;
  }
}
