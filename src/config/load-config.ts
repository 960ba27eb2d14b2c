/**
 * `loadConfig(path?)`: the Node entry point. The only module that touches the file system.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { type ParseConfigOptions, parseConfig } from './parse-config.ts';
import type { RouteTable } from './route-table.ts';

/** Options of {@link loadConfig}. */
export type LoadConfigOptions = Omit<ParseConfigOptions, 'file'>;

/**
 * Reads and compiles a config file: `path`, else `$SWITCHYARD_CONFIG`, else `./config.yaml`
 * (relative paths against the working directory). Throws one `ConfigError` listing every problem;
 * `code: 'CONFIG_NOT_FOUND'` when the file cannot be read.
 */
export function loadConfig(path?: string, options: LoadConfigOptions = {}): RouteTable {
  const env = options.env ?? process.env;
  const chosen = path ?? env['SWITCHYARD_CONFIG'] ?? 'config.yaml';
  const absolute = resolve(chosen);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    const hint = path === undefined ? ' (pass a path, or set SWITCHYARD_CONFIG)' : '';
    throw new ConfigError({
      code: 'CONFIG_NOT_FOUND',
      file: chosen,
      issues: [{ code: 'CONFIG_NOT_FOUND', path: [], message: `${absolute}: ${reason}${hint}` }],
      cause: error,
    });
  }
  return parseConfig(text, { ...options, env, file: chosen });
}
