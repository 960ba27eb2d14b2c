/**
 * What the commands that load a config share: the environment they read (`--env-file` under
 * the process's own), loading with `--config`, `--max-size` and `--allow-missing-env` (the
 * common options of `command-line.ts`), and the note listing what `--allow-missing-env` let
 * through.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import type { MissingEnvVariable } from '../config/parse-config.ts';
import type { RouteTable } from '../config/route-table.ts';
import { type commonOptions, type OptionValues, UsageError } from './command-line.ts';
import type { CliIO, paintFor } from './output.ts';

/** `--max-size <bytes>`: the config's size limit (`limits.maxSize`); undefined keeps the default. */
export function parseMaxSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const size = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(size) || size < 1) {
    throw new UsageError(
      `--max-size must be a whole number of bytes above 0 (e.g. 2097152 for 2 MiB), not "${value}"`,
    );
  }
  return size;
}

/** Environment variables by name. */
export type Environment = Record<string, string | undefined>;

/** A loaded config, the environment it was loaded with, and the variables let through unset. */
export type Loaded = { table: RouteTable; env: Environment; missing: MissingEnvVariable[] };

/** The process environment over the variables of each `--env-file`, as `node --env-file` does. */
export function readEnvironment(files: readonly string[] | undefined, io: CliIO): Environment {
  const env: Environment = Object.create(null);
  for (const file of files ?? []) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `--env-file ${file}: no such file (paths are relative to ${process.cwd()})`
          : `--env-file ${file}: cannot be read (${code ?? 'unknown error'})`,
      );
    }
    for (const [name, value] of Object.entries(parseEnv(text))) env[name] = value;
  }
  for (const [name, value] of Object.entries(io.env)) if (value !== undefined) env[name] = value;
  return env;
}

/** The common options as parsed: `--config`, `--env-file`, `--allow-missing-env`, `--max-size`. */
export type CommonValues = OptionValues<typeof commonOptions>;

/** Options of {@link loadFrom}. */
export type LoadFromOptions = {
  /** The common options of the command line. */
  values: CommonValues;
  /** `--config` or a command's `[file]` argument, when it replaces `values.config`. */
  config?: string | undefined;
  /** Let unset variables through even without `--allow-missing-env` (as `types` does). @default false */
  allowMissingEnv?: boolean;
  io: CliIO;
};

/**
 * Loads the config the common options name: `--config` (else `$SWITCHYARD_CONFIG`, else
 * `./config.yaml`), read with `--env-file` under the environment. Throws a `ConfigError` as
 * `loadConfig` does, or a `UsageError` for a bad `--max-size` or `--env-file`.
 */
export function loadFrom(options: LoadFromOptions): Loaded {
  const { values } = options;
  const env = readEnvironment(values['env-file'], options.io);
  const missing: MissingEnvVariable[] = [];
  const maxSize = parseMaxSize(values['max-size']);
  const table = loadConfig(options.config ?? values.config, {
    env,
    ...(maxSize === undefined ? {} : { limits: { maxSize } }),
    ...(options.allowMissingEnv === true || values['allow-missing-env'] === true
      ? { onMissingEnv: (variable: MissingEnvVariable) => missing.push(variable) }
      : {}),
  });
  return { table, env, missing };
}

/** The variables `--allow-missing-env` let through, one line each. */
export function formatMissing(loaded: Loaded, paint: ReturnType<typeof paintFor>): string {
  if (loaded.missing.length === 0) return '';
  const lines = loaded.missing.map(
    (variable) =>
      `  ${variable.name}  ${loaded.table.source}:${variable.line}:${variable.column} ${variable.path.join('.')}`,
  );
  return `${paint.yellow('note:')} not set, so not checked (--allow-missing-env):\n${lines.join('\n')}\n`;
}
