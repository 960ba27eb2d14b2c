/**
 * Shared helpers for the config tests: read fixtures, parse them, and catch the `ConfigError`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ConfigEnv } from '../../src/config/interpolate-env.ts';
import type { RouteTable } from '../../src/config/route-table.ts';
import { ConfigError, type ConfigIssue } from '../../src/errors.ts';
import { parseConfig } from '../../src/index.ts';

/** Absolute path of `test/fixtures/<name>`. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** The text of `test/fixtures/<name>`. */
export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Every variable the fixtures use, with harmless values. */
export const fixtureEnv: ConfigEnv = Object.freeze({
  CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
  CLOUDFLARE_GATEWAY_ID: 'switchyard',
  CLOUDFLARE_AIG_TOKEN: 'test-aig-token',
  OPENAI_API_KEY: 'test-openai-key',
  GROQ_API_KEY: 'test-groq-key',
  ANTHROPIC_API_KEY: 'test-anthropic-key',
  OPENROUTER_API_KEY: 'test-openrouter-key',
});

/** Options of {@link parseFixture}. */
export type ParseFixtureOptions = {
  /** Variables for `${VAR}`. @default fixtureEnv */
  env?: ConfigEnv;
};

/** Parses `test/fixtures/<name>` with its file name shown in errors. */
export function parseFixture(name: string, options: ParseFixtureOptions = {}): RouteTable {
  return parseConfig(readFixture(name), { file: name, env: options.env ?? fixtureEnv });
}

/** Runs `action`, asserts it throws a `ConfigError`, and returns the error. */
export function catchConfigError(action: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

/** The parts of an issue a test usually compares: code, line and column. */
export function where(issue: ConfigIssue): { code: string; line?: number; column?: number } {
  return {
    code: issue.code,
    ...(issue.line === undefined ? {} : { line: issue.line }),
    ...(issue.column === undefined ? {} : { column: issue.column }),
  };
}

/**
 * Runs `action`, which must throw a `ConfigError`, and measures the CPU time it took (not
 * wall-clock time: a loaded machine delays the work without making it more).
 */
export function timeConfigError(action: () => unknown): { error: ConfigError; ms: number } {
  const start = process.cpuUsage();
  const error = catchConfigError(action);
  const used = process.cpuUsage(start);
  return { error, ms: (used.user + used.system) / 1000 };
}
