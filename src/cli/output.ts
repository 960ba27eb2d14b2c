/**
 * Terminal output for the CLI: colour only on a TTY (and never with `NO_COLOR`), plain words
 * otherwise, so piped output and logs stay clean.
 */

/** Where the CLI writes, injectable for tests. */
export type CliIO = {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
};

/** Styling helpers bound to one stream. */
export type Paint = {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
};

/** Styles for a stream: ANSI codes on a TTY without `NO_COLOR`, identity otherwise. */
export function paintFor(options: { stream: CliIO['stdout']; env: CliIO['env'] }): Paint {
  const enabled =
    options.stream.isTTY === true &&
    options.env['NO_COLOR'] === undefined &&
    options.env['TERM'] !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}
