/**
 * What every suite process shares: its arguments (where the mock and the gateway are, quick or
 * full), warnings seen while it ran, and writing its result as JSON.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export type SuiteArguments = {
  /** Where to write the result. */
  out: string;
  quick: boolean;
  /** The fast guard run (only the suites that support it read it). */
  guard: boolean;
  /** Seed of the random call order (default: from the clock; recorded in the result). */
  seed: number;
  mockUrl: string;
  /** A loopback URL where nothing listens. */
  refusedUrl: string;
  portkeyUrl: string | undefined;
};

export function suiteArguments(): SuiteArguments {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      guard: { type: 'boolean', default: false },
      seed: { type: 'string' },
      mock: { type: 'string', default: '' },
      refused: { type: 'string', default: 'http://127.0.0.1:9' },
      portkey: { type: 'string' },
    },
  });
  if (values.out === undefined) throw new Error('--out is required');
  return {
    out: values.out,
    quick: values.quick,
    guard: values.guard,
    seed: values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed),
    mockUrl: values.mock,
    refusedUrl: values.refused,
    portkeyUrl: values.portkey,
  };
}

/** Process warnings (e.g. MaxListenersExceededWarning), counted by name and message. */
export function collectWarnings(): Record<string, number> {
  const warnings: Record<string, number> = {};
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const key = `${warning.name}: ${warning.message}`.slice(0, 300);
    warnings[key] = (warnings[key] ?? 0) + 1;
  });
  return warnings;
}

export function writeResult(path: string, result: unknown): void {
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}

/** Rotates a list by `by` places (interleaving: each round starts with another rung). */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
