/**
 * An attempt log as a table, one row per request: upstream, gateway, status, error class,
 * decision, wait and time. Columns are as wide as their longest cell, so long upstream names
 * keep the table aligned. `switchyard chat` prints it when every target fails; the demo prints
 * it after a fallback.
 */
import type { AttemptRecord } from '../errors.ts';
import { singleLineText } from '../internal/printable-text.ts';
import type { Paint } from './output.ts';

/** Options of {@link formatAttempts}. */
export type FormatAttemptsOptions = {
  readonly attempts: readonly AttemptRecord[];
  /** Styles: the header dim, a successful row green, the others yellow. */
  readonly paint: Paint;
  /** Put before every line. @default '  ' */
  readonly indent?: string;
};

/** The attempt log as aligned lines, header first, each ending in a newline. */
export function formatAttempts(options: FormatAttemptsOptions): string {
  const { attempts, paint, indent = '  ' } = options;
  const header = ['#', 'upstream', 'gateway', 'status', 'class', 'decision', 'wait', 'time'];
  const rows = attempts.map((attempt, index) => [
    String(index + 1),
    singleLineText(attempt.upstream),
    singleLineText(attempt.gateway),
    String(attempt.status ?? '—'),
    attempt.errorClass ?? '',
    attempt.decision,
    `${attempt.waitMs}ms`,
    `${Math.round(attempt.durationMs)}ms`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padStart(widths[0] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    `${indent}${paint.dim(line(header))}\n`,
    ...rows.map((row, index) => {
      const text = line(row);
      return `${indent}${attempts[index]?.decision === 'success' ? paint.green(text) : paint.yellow(text)}\n`;
    }),
  ].join('');
}
