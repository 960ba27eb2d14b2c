/**
 * `loadConfig(path?)`: the Node entry point. The only module that touches the file system.
 * The path is treated as hostile too: only a regular file is read, its size is checked on the
 * opened file before a byte is read, and the read stops one byte past the limit, so a FIFO, a
 * device such as `/dev/zero`, or a file that grows while it is read costs nothing.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type ConfigIssueCode } from '../errors.ts';
import { type ParseConfigOptions, parseConfig } from './parse-config.ts';
import type { RouteTable } from './route-table.ts';
import { defaultYamlLimits } from './yaml-source.ts';

/** Options of {@link loadConfig}. */
export type LoadConfigOptions = Omit<ParseConfigOptions, 'file'>;

/**
 * Reads and compiles a config file: `path`, else `$SWITCHYARD_CONFIG`, else `./config.yaml`
 * (relative paths against the working directory). Throws one `ConfigError` listing every problem;
 * `code: 'CONFIG_NOT_FOUND'` when the file cannot be read (issue `CONFIG_NOT_A_FILE` for a
 * directory, FIFO or device), `CONFIG_TOO_LARGE` when it has more bytes than `limits.maxSize`.
 */
export function loadConfig(path?: string, options: LoadConfigOptions = {}): RouteTable {
  const env = options.env ?? process.env;
  const chosen = path ?? env['SWITCHYARD_CONFIG'] ?? 'config.yaml';
  const text = readConfigFile({
    file: chosen,
    maxSize: options.limits?.maxSize ?? defaultYamlLimits.maxSize,
    hint: path === undefined ? ' (pass a path, or set SWITCHYARD_CONFIG)' : '',
  });
  return parseConfig(text, { ...options, env, file: chosen });
}

/** Options of {@link readConfigFile}. */
export type ReadConfigFileOptions = {
  /** The path as given (relative to the working directory), shown in errors. */
  readonly file: string;
  /** Most bytes read; a longer file is `CONFIG_TOO_LARGE`. */
  readonly maxSize: number;
  /** Appended to a "cannot be read" message. @default '' */
  readonly hint?: string;
};

/**
 * The text of a config file, read within `maxSize` bytes. Throws the `ConfigError` `loadConfig`
 * throws when the path is missing, unreadable, not a regular file, or too large. Never blocks
 * on a FIFO (opened non-blocking, refused before any read) and never reads more than
 * `maxSize + 1` bytes (a file that grows after the size check is still cut short).
 */
export function readConfigFile(options: ReadConfigFileOptions): string {
  const { file, maxSize } = options;
  const absolute = resolve(file);
  const refuse = (code: ConfigIssueCode, message: string, cause?: unknown): never => {
    throw new ConfigError({
      code: code === 'CONFIG_TOO_LARGE' ? 'CONFIG_INVALID' : 'CONFIG_NOT_FOUND',
      file,
      issues: [{ code, path: [], message }],
      ...(cause === undefined ? {} : { cause }),
    });
  };
  let descriptor: number;
  try {
    descriptor = openSync(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    return refuse('CONFIG_NOT_FOUND', `${absolute}: ${reason}${options.hint ?? ''}`, error);
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      return refuse(
        'CONFIG_NOT_A_FILE',
        `${absolute}: cannot be read: it is ${kindOf(stats)}, not a regular file; point at the YAML file itself`,
      );
    }
    const tooLarge = (size: string) =>
      refuse(
        'CONFIG_TOO_LARGE',
        `${absolute}: the file is ${size} bytes; the limit is ${maxSize}. Keep data out of it, or raise the limit (the limits.maxSize option; --max-size on the command line)`,
      );
    if (stats.size > maxSize) return tooLarge(String(stats.size));
    // One byte more than the file holds: reading it shows the file grew after the check.
    let buffer = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxSize) return tooLarge(`more than ${maxSize}`);
        const grown = Buffer.allocUnsafe(Math.min(maxSize + 1, length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxSize) return tooLarge(`more than ${maxSize}`);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return refuse('CONFIG_NOT_FOUND', `${absolute}: cannot be read${options.hint ?? ''}`, error);
  } finally {
    closeSync(descriptor);
  }
}

/** What a path that is not a regular file is, in words. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
