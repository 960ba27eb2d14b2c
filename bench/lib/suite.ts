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
      mock: { type: 'string', default: '' },
      refused: { type: 'string', default: 'http://127.0.0.1:9' },
      portkey: { type: 'string' },
    },
  });
  if (values.out === undefined) throw new Error('--out is required');
  return {
    out: values.out,
    quick: values.quick,
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
