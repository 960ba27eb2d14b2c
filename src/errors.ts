/**
 * Errors are data: one base class with a stable `code`, a few subclasses with structured
 * fields, and a guard that survives duplicate installs and bundlers (`instanceof` does not).
 */

const marker = Symbol.for('switchyard.error');

/**
 * Every code a Switchyard error can carry. Stable: match on these, not on messages.
 * Documented in `docs/errors.md`.
 */
export type RouterErrorCode =
  /** The config has one or more problems; see `ConfigError.issues`. */
  | 'CONFIG_INVALID'
  /** The config file could not be read. */
  | 'CONFIG_NOT_FOUND'
  /** `model` names no alias, and no default gateway is configured. */
  | 'UNKNOWN_ALIAS'
  /** A request could not be sent as asked (e.g. a bad `<gateway>:<model>`). */
  | 'INVALID_REQUEST'
  /** Every target of an alias failed; see `AllTargetsFailedError.attempts`. */
  | 'ALL_TARGETS_FAILED'
  /** A stream failed after its first content chunk; the partial output is attached. */
  | 'STREAM_INTERRUPTED'
  /** The caller aborted the call. */
  | 'ABORTED'
  /** The call's deadline passed. */
  | 'DEADLINE_EXCEEDED'
  /** The router was closed. */
  | 'ROUTER_CLOSED';

/** Options of {@link RouterError}. */
export type RouterErrorOptions = {
  /** The stable code. */
  code: RouterErrorCode;
  /** The wrapped error, if any. */
  cause?: unknown;
};

/** Base class of every error Switchyard throws. Check with {@link isRouterError}. */
export class RouterError extends Error {
  override readonly name: string = 'RouterError';
  /** Stable machine-readable code. */
  readonly code: RouterErrorCode;

  constructor(message: string, options: RouterErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    Object.defineProperty(this, marker, { value: true });
  }
}

/**
 * True for any Switchyard error, including one thrown by another copy of the package.
 * Narrow further with `error.code`.
 */
export function isRouterError(value: unknown): value is RouterError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[marker] === true
  );
}

/** The kind of a config problem. Documented in `docs/errors.md`. */
export type ConfigIssueCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_TOO_LARGE'
  | 'YAML_SYNTAX'
  | 'YAML_DUPLICATE_KEY'
  | 'YAML_UNKNOWN_TAG'
  | 'YAML_ALIAS_LIMIT'
  | 'YAML_TOO_DEEP'
  | 'YAML_MULTIPLE_DOCUMENTS'
  | 'ENV_VAR_MISSING'
  | 'ENV_VAR_SYNTAX'
  | 'SCHEMA_UNKNOWN_KEY'
  | 'SCHEMA_VIOLATION'
  | 'UNKNOWN_REFERENCE'
  | 'NAME_CONFLICT'
  | 'FALLBACK_CYCLE'
  | 'DUPLICATE_TARGET'
  | 'MISSING_CREDENTIAL'
  | 'OPTION_NOT_APPLICABLE'
  | 'INVALID_VALUE';

/** One problem found in a config. */
export type ConfigIssue = {
  /** What kind of problem. */
  readonly code: ConfigIssueCode;
  /** Where in the config, as keys from the root (e.g. `['models', 'fast', 'targets', 1]`). */
  readonly path: readonly (string | number)[];
  /** What is wrong and how to fix it. Never contains a secret. */
  readonly message: string;
  /** 1-based line in the source, when known. */
  readonly line?: number;
  /** 1-based column in the source, when known. */
  readonly column?: number;
};

/** Options of {@link ConfigError}. */
export type ConfigErrorOptions = {
  /** Every problem found, in source order. */
  issues: readonly ConfigIssue[];
  /** The config file's name, used in the message. */
  file?: string;
  /** The config text, used to show excerpts; not kept on the error. */
  source?: string;
  /** `CONFIG_NOT_FOUND` when the file could not be read. @default 'CONFIG_INVALID' */
  code?: 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND';
  /** The wrapped error. */
  cause?: unknown;
  /** Character ranges of secret values in `source`, blanked in excerpts. */
  secretRanges?: readonly (readonly [number, number])[];
  /** Offsets where lines start in `source` (from yaml's `LineCounter`). */
  lineStarts?: readonly number[];
};

/**
 * A config has problems. `issues` lists every one found in a single pass; the message shows each
 * as `file:line:column`, the offending line and a caret.
 */
export class ConfigError extends RouterError {
  override readonly name = 'ConfigError';
  /** Every problem found. */
  readonly issues: readonly ConfigIssue[];
  /** The config file's name (or `<config>` for a string). */
  readonly file: string;

  constructor(options: ConfigErrorOptions) {
    const file = options.file ?? '<config>';
    super(formatConfigIssues({ ...options, file }), {
      code: options.code ?? 'CONFIG_INVALID',
      cause: options.cause,
    });
    this.issues = Object.freeze([...options.issues]);
    this.file = file;
  }
}

/** Renders issues as `file:line:column CODE path: message`, excerpt and caret. */
function formatConfigIssues(options: ConfigErrorOptions & { file: string }): string {
  const { issues, file, source } = options;
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = [`${file}: ${count}`];
  for (const issue of issues) {
    const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
    const path = issue.path.length > 0 ? ` ${formatPath(issue.path)}:` : '';
    lines.push('', `${where} ${issue.code}${path} ${issue.message}`);
    if (source !== undefined && issue.line !== undefined) {
      lines.push(
        ...renderExcerpt({ ...options, source, line: issue.line, column: issue.column ?? 1 }),
      );
    }
  }
  return lines.join('\n');
}

type ExcerptOptions = ConfigErrorOptions & { source: string; line: number; column: number };

/** The offending line with secrets blanked, and a caret under the column. */
function renderExcerpt(options: ExcerptOptions): string[] {
  const { source, line, lineStarts } = options;
  const starts = lineStarts ?? computeLineStarts(source);
  const start = starts[line - 1];
  if (start === undefined) return [];
  const end = starts[line] ?? source.length;
  const original = source.slice(start, end).replace(/\r?\n$/, '');
  // Secret values on this line: the known ranges, and (for text yaml could not parse, where no
  // ranges exist) values of credential-like keys found by pattern.
  const cuts: [number, number][] = [];
  for (const [from, to] of options.secretRanges ?? []) {
    if (from >= start + original.length || to <= start) continue;
    cuts.push([Math.max(from, start) - start, Math.min(to, start + original.length) - start]);
  }
  for (const match of original.matchAll(secretPair)) {
    const value = match[2] ?? '';
    const from = (match.index ?? 0) + (match[1] ?? '').length;
    cuts.push([from, from + value.trimEnd().length]);
  }
  let text = original;
  let column = options.column;
  const applied: [number, number][] = [];
  for (const [a, b] of cuts.sort((x, y) => y[0] - x[0])) {
    if (envTemplate.test(original.slice(a, b).trim())) continue; // `${VAR}` shows no secret
    if (applied.some(([c, d]) => a < d && b > c)) continue;
    applied.push([a, b]);
    text = `${text.slice(0, a)}<redacted>${text.slice(b)}`;
    if (column - 1 >= b) column += '<redacted>'.length - (b - a);
    else if (column - 1 > a) column = a + 1;
  }
  if (text.length > 160) {
    const from = Math.max(0, column - 80);
    text = `${from > 0 ? '…' : ''}${text.slice(from, from + 160)}…`;
    column = column - from + (from > 0 ? 1 : 0);
  }
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  const caretPad = text.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return [`  ${gutter} | ${text}`, `  ${pad} | ${caretPad}^`];
}

const envTemplate = /^["']?\$\{[A-Za-z_][A-Za-z0-9_]*\}["']?$/;
const secretPair =
  /([\w-]*(?:key|token|secret|passw|auth|credential|bearer)[\w-]*["']?\s*:\s+)("[^"]*"|'[^']*'|\$\{[^}]*\}|[^\s,{}[\]#"'][^,{}[\]#]*)/gi;

function computeLineStarts(source: string): number[] {
  const starts = [0];
  for (let index = source.indexOf('\n'); index !== -1; index = source.indexOf('\n', index + 1)) {
    starts.push(index + 1);
  }
  return starts;
}

/** `['models', 'fast', 'targets', 1]` → `models.fast.targets[1]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
