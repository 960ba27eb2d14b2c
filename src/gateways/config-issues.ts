/**
 * How the compile step and the gateway modules report config problems: one callback that takes
 * the issue's code, its path in the config and the message, and the header-value check every
 * credential and header-borne option goes through.
 */
import type { ConfigIssueCode } from '../errors.ts';
import { headerValueProblem } from '../internal/header-value.ts';

/** A config path: keys and list indexes from the root. */
export type ConfigPath = (string | number)[];

/**
 * Reports one compile problem at `path`. `atKey` points the position at the key rather than its
 * value (a key that should not be there).
 */
export type ReportIssue = (
  code: ConfigIssueCode,
  path: ConfigPath,
  message: string,
  atKey?: boolean,
) => void;

/** Options of {@link checkHeaderValue}. */
export type CheckHeaderValueOptions = {
  /** The value as written (anything but a string is left to the schema). */
  value: unknown;
  path: ConfigPath;
  /** What the value is, for the message (`auth.token`, `the value of header "x-team"`). */
  what: string;
  report: ReportIssue;
};

/**
 * Reports a value `fetch` would refuse in a header (every call would fail inside `fetch`). The
 * message never quotes the value; parseConfig adds the variable's name when it came from one.
 */
export function checkHeaderValue(options: CheckHeaderValueOptions): void {
  if (typeof options.value !== 'string') return;
  const problem = headerValueProblem(options.value);
  if (problem === undefined) return;
  options.report(
    'INVALID_VALUE',
    options.path,
    `${options.what} ${problem}, which fetch refuses in a header; fix the value`,
  );
}
