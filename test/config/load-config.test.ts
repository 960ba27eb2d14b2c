import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/index.ts';
import { catchConfigError, fixtureEnv, fixturePath } from './helpers.ts';

const directory = mkdtempSync(join(tmpdir(), 'switchyard-load-config-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** Writes a config whose only alias is `name`, and returns its path. */
function writeConfig(file: string, name: string): string {
  const path = join(directory, file);
  writeFileSync(
    path,
    `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "\${BASE_URL:-http://127.0.0.1:1/v1}" }\nmodels:\n  ${name}: local:x\n`,
  );
  return path;
}

/** Runs `action` with the working directory set to `cwd`, and restores it afterwards. */
function inDirectory<T>(cwd: string, action: () => T): T {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    return action();
  } finally {
    process.chdir(previous);
  }
}

describe('loadConfig', () => {
  it('reads the path it is given', () => {
    const table = loadConfig(fixturePath('valid.yaml'), { env: fixtureEnv });
    expect(Object.keys(table.aliases)).toEqual(['fast', 'smart']);
    expect(table.source).toBe(fixturePath('valid.yaml'));
  });

  it('passes env to ${VAR} expansion', () => {
    const path = writeConfig('env.yaml', 'fast');
    const table = loadConfig(path, { env: { BASE_URL: 'http://127.0.0.1:8787/v1' } });
    expect(table.gateways['local']?.baseURL).toBe('http://127.0.0.1:8787/v1');
  });

  it('reads $SWITCHYARD_CONFIG when no path is given, and a path wins over it', () => {
    const fromEnv = writeConfig('from-env.yaml', 'from-env');
    const explicit = writeConfig('explicit.yaml', 'explicit');
    const env = { SWITCHYARD_CONFIG: fromEnv };
    expect(Object.keys(loadConfig(undefined, { env }).aliases)).toEqual(['from-env']);
    expect(Object.keys(loadConfig(explicit, { env }).aliases)).toEqual(['explicit']);
  });

  it('reads ./config.yaml from the working directory by default', () => {
    const project = join(directory, 'project');
    mkdirSync(project, { recursive: true });
    writeConfig(join('project', 'config.yaml'), 'default-file');
    const table = inDirectory(project, () => loadConfig(undefined, { env: {} }));
    expect(Object.keys(table.aliases)).toEqual(['default-file']);
    expect(table.source).toBe('config.yaml');
  });

  it('resolves a relative path against the working directory and names it as written', () => {
    writeConfig('relative.yaml', 'relative');
    const table = inDirectory(directory, () => loadConfig('relative.yaml', { env: {} }));
    expect(Object.keys(table.aliases)).toEqual(['relative']);
    expect(table.source).toBe('relative.yaml');
  });

  it('throws CONFIG_NOT_FOUND for a missing file, with a hint when no path was given', () => {
    const missing = join(directory, 'missing.yaml');
    const error = catchConfigError(() => loadConfig(missing, { env: {} }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.issues.map((issue) => issue.code)).toEqual(['CONFIG_NOT_FOUND']);
    expect(error.issues[0]?.message).toBe(`${missing}: no such file`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');

    const empty = join(directory, 'empty-project');
    mkdirSync(empty, { recursive: true });
    const implicit = catchConfigError(() =>
      inDirectory(empty, () => loadConfig(undefined, { env: {} })),
    );
    expect(implicit.code).toBe('CONFIG_NOT_FOUND');
    expect(implicit.file).toBe('config.yaml');
    expect(implicit.message).toContain('pass a path, or set SWITCHYARD_CONFIG');
  });

  it('throws CONFIG_NOT_FOUND for a path that is a directory', () => {
    const error = catchConfigError(() => loadConfig(directory, { env: {} }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.issues[0]?.message).toContain('cannot be read');
  });

  it('names the file in the errors of its contents', () => {
    const path = join(directory, 'broken.yaml');
    writeFileSync(path, 'version: 1\ngateways: {}\nmodels: {}\n');
    const error = catchConfigError(() => loadConfig(path, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.file).toBe(path);
    expect(error.message).toContain(
      `${path}:2:11 SCHEMA_VIOLATION gateways: must have at least 1 entry`,
    );
  });
});
