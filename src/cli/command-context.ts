/**
 * What the commands that load a config share: the `--config` and `--env-file` flags, the
 * environment they read (`--env-file` under the process's own), loading with
 * `--allow-missing-env`, the note listing what it let through, and the usage error every
 * command throws for a mistake on its command line.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import type { MissingEnvVariable } from '../config/parse-config.ts';
import type { RouteTable } from '../config/route-table.ts';
import type { CliIO, paintFor } from './output.ts';

/** A mistake on the command line: the CLI prints it with the command's help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Flags of every command that loads a config. */
export const configFlags = {
  config: { type: 'string', short: 'c' },
  'env-file': { type: 'string', multiple: true },
  'max-size': { type: 'string' },
} as const;

/** `--max-size <characters>`: the config's size limit (`limits.maxSize`); undefined keeps the default. */
export function parseMaxSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const size = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(size) || size < 1) {
    throw new UsageError(
      `--max-size must be a whole number of characters above 0 (e.g. 262144), not "${value}"`,
    );
  }
  return size;
}

/** `--allow-missing-env`: check everything but the variables that are not set. */
export const allowMissingFlag = { 'allow-missing-env': { type: 'boolean' } } as const;

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
      throw new Error(
        `--env-file ${file}: ${code === 'ENOENT' ? 'no such file' : 'cannot be read'}`,
      );
    }
    for (const [name, value] of Object.entries(parseEnv(text))) env[name] = value;
  }
  for (const [name, value] of Object.entries(io.env)) if (value !== undefined) env[name] = value;
  return env;
}

/** Options of {@link loadFrom}. */
export type LoadFromOptions = {
  /** `--config`, else `$SWITCHYARD_CONFIG`, else `./config.yaml`. */
  config: string | undefined;
  /** `--env-file`, each read under the process environment. */
  envFiles: readonly string[] | undefined;
  /** `--allow-missing-env`. @default false */
  allowMissingEnv?: boolean | undefined;
  /** `--max-size`, as typed. @default undefined (the library's default limit) */
  maxSize?: string | undefined;
  io: CliIO;
};

/** Loads the config the flags name. Throws a `ConfigError` as `loadConfig` does. */
export function loadFrom(options: LoadFromOptions): Loaded {
  const env = readEnvironment(options.envFiles, options.io);
  const missing: MissingEnvVariable[] = [];
  const maxSize = parseMaxSize(options.maxSize);
  const table = loadConfig(options.config, {
    env,
    ...(maxSize === undefined ? {} : { limits: { maxSize } }),
    ...(options.allowMissingEnv === true
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
