/**
 * Errors are data: one base class with a stable `code`, a few subclasses with structured
 * fields, and a guard that survives duplicate installs and bundlers (`instanceof` does not).
 */

import type { ErrorClass } from './config/route-table.ts';

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
  const ranges = indexRanges(options.secretRanges ?? []);
  for (const issue of issues) {
    const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
    const path = issue.path.length > 0 ? ` ${formatPath(issue.path)}:` : '';
    lines.push('', `${where} ${issue.code}${path} ${issue.message}`);
    if (source !== undefined && issue.line !== undefined) {
      lines.push(
        ...renderExcerpt({
          ...options,
          source,
          line: issue.line,
          column: issue.column ?? 1,
          ranges,
        }),
      );
    }
  }
  return lines.join('\n');
}

type ExcerptOptions = ConfigErrorOptions & {
  source: string;
  line: number;
  column: number;
  ranges: RangeIndex;
};

/** Secret ranges sorted by start, with the running maximum of their ends. */
type RangeIndex = { sorted: (readonly [number, number])[]; maxEnd: number[] };

function indexRanges(ranges: readonly (readonly [number, number])[]): RangeIndex {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const maxEnd: number[] = [];
  for (const [index, [, to]] of sorted.entries()) maxEnd.push(Math.max(to, maxEnd[index - 1] ?? 0));
  return { sorted, maxEnd };
}

/** The ranges that overlap [start, end): found without a pass over all of them per line. */
function rangesWithin(
  index: RangeIndex,
  start: number,
  end: number,
): (readonly [number, number])[] {
  let low = 0;
  let high = index.sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((index.sorted[middle]?.[0] ?? 0) < end) low = middle + 1;
    else high = middle;
  }
  const found: (readonly [number, number])[] = [];
  for (let at = low - 1; at >= 0 && (index.maxEnd[at] ?? 0) > start; at -= 1) {
    const range = index.sorted[at];
    if (range !== undefined && range[1] > start) found.push(range);
  }
  return found;
}

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
  for (const [from, to] of rangesWithin(options.ranges, start, start + original.length)) {
    cuts.push([Math.max(from, start) - start, Math.min(to, start + original.length) - start]);
  }
  for (const match of original.matchAll(secretPair)) {
    const value = match[2] ?? '';
    const from = (match.index ?? 0) + (match[1] ?? '').length;
    cuts.push([from, from + value.trimEnd().length]);
  }
  // Overlapping cuts (a wide value and a narrower one inside it) merge into their union, so the
  // narrower one cannot leave the rest of the wide one showing.
  const merged: [number, number][] = [];
  for (const [a, b] of cuts.sort((x, y) => x[0] - y[0])) {
    // `${VAR}` shows no secret, nor does the mode word in `keys: stored`.
    if (shownAsWritten.test(original.slice(a, b).trim())) continue;
    const last = merged.at(-1);
    if (last !== undefined && a < last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let text = original;
  let column = options.column;
  for (const [a, b] of merged.reverse()) {
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

const shownAsWritten = /^["']?(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|stored)["']?$/;
// Bounded runs around the key word keep the search linear on long lines of word characters.
const secretPair =
  /((?<![\w-])[\w-]{0,64}(?:key|token|secret|passw|auth|credential|bearer)[\w-]{0,64}["']?\s{0,16}:\s{1,16})("[^"]*"|'[^']*'|\$\{[^}]*\}|[^\s,{}[\]#"'][^,{}[\]#]*)/gi;

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

/** One request sent (or skipped) while serving a call, as recorded in the attempt log. */
export type AttemptRecord = {
  /** Upstream name (`<gateway>:<model>` for direct calls). */
  readonly upstream: string;
  /** Gateway name. */
  readonly gateway: string;
  /** Model string sent. */
  readonly model: string;
  /** 0-based position of the target in the chain. */
  readonly targetIndex: number;
  /** 1-based try on this target. */
  readonly attempt: number;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Error class, for a failed attempt. */
  readonly errorClass?: ErrorClass;
  /** What happened next. `skipped`: not sent (the upstream was cooling down). */
  readonly decision: 'success' | 'retry' | 'fallback' | 'fail' | 'skipped';
  /** Wait before the next request, in milliseconds (0 when none). */
  readonly waitMs: number;
  /** Time from sending to the outcome, in milliseconds. */
  readonly durationMs: number;
  /** A short description of the failure (status and the provider's message; never a secret). */
  readonly message?: string;
  /** Gateway response identifiers, when the gateway sent them (e.g. `cf-aig-log-id`). */
  readonly gatewayIds?: Readonly<Record<string, string>>;
  /** The call's context (`RouterRequestOptions.context`), when the request gave one. */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
};

/** Options of {@link AllTargetsFailedError}. */
export type AllTargetsFailedErrorOptions = {
  /** The alias (or `<gateway>:<model>`) that was called. */
  model: string;
  /** Every attempt, in order. */
  attempts: readonly AttemptRecord[];
  /** The first target's (last) failure. */
  primaryError: unknown;
  /** The last failure. */
  lastError: unknown;
  /** Why the router stopped, when it stopped before trying every target. */
  reason?: string;
};

/**
 * A call failed: every target was tried (or the policy said stop). Carries the whole attempt
 * log, the primary's failure and the last one (also the `cause`).
 */
export class AllTargetsFailedError extends RouterError {
  override readonly name = 'AllTargetsFailedError';
  /** The alias (or `<gateway>:<model>`) that was called. */
  readonly model: string;
  /** Every attempt, in order. */
  readonly attempts: readonly AttemptRecord[];
  /** The first target's failure. */
  readonly primaryError: unknown;
  /** The last failure (an `openai` `APIError` for HTTP failures). */
  readonly lastError: unknown;
  /** HTTP status of the last failure, if it had one. */
  readonly status: number | undefined;

  constructor(options: AllTargetsFailedErrorOptions) {
    const last = options.attempts.at(-1);
    const tried = new Set(
      options.attempts
        .filter((attempt) => attempt.decision !== 'skipped')
        .map((attempt) => attempt.upstream),
    ).size;
    const summary =
      last === undefined
        ? 'no request was sent'
        : `[${last.gateway} → ${last.model}] ${last.message ?? last.errorClass ?? 'failed'}`;
    super(
      `${options.model}: ${options.reason ?? `all targets failed`} after ${options.attempts.filter((attempt) => attempt.decision !== 'skipped').length} request(s) to ${tried} upstream(s); last: ${summary}`,
      { code: 'ALL_TARGETS_FAILED', cause: options.lastError },
    );
    this.model = options.model;
    this.attempts = Object.freeze([...options.attempts]);
    this.primaryError = options.primaryError;
    this.lastError = options.lastError;
    const status = (options.lastError as { status?: unknown } | undefined)?.status;
    this.status = typeof status === 'number' ? status : undefined;
  }
}

/** Options of {@link UnknownAliasError}. */
export type UnknownAliasErrorOptions = {
  /** The name asked for. */
  model: string;
  /** The aliases that exist. */
  available: readonly string[];
  /** A close match, if any. */
  suggestion?: string;
};

/** `model` names no alias (and no gateway or default gateway matches). */
export class UnknownAliasError extends RouterError {
  override readonly name = 'UnknownAliasError';
  /** The name asked for. */
  readonly model: string;
  /** The aliases that exist. */
  readonly available: readonly string[];

  constructor(options: UnknownAliasErrorOptions) {
    const hint = options.suggestion === undefined ? '' : ` Did you mean "${options.suggestion}"?`;
    const shown = options.available.slice(0, 20).join(', ');
    const more = options.available.length > 20 ? `, … ${options.available.length - 20} more` : '';
    super(
      `Unknown model "${options.model}".${hint} Aliases: ${shown || 'none'}${more}. Or address a gateway directly as <gateway>:<model>.`,
      { code: 'UNKNOWN_ALIAS' },
    );
    this.model = options.model;
    this.available = Object.freeze([...options.available]);
  }
}

/** Options of {@link StreamInterruptedError}. */
export type StreamInterruptedErrorOptions = {
  /** The alias that was called. */
  model: string;
  /** The upstream that was streaming. */
  upstream: string;
  /** Text received before the interruption. */
  partialContent: string;
  /** Chunks received before the interruption. */
  chunks: number;
  /** Every attempt of the call. */
  attempts: readonly AttemptRecord[];
  /** What went wrong. */
  cause: unknown;
  /** Short description. */
  reason: string;
};

/**
 * A stream failed after its first content chunk. The router never falls back at that point
 * (two models' answers would be glued together), so the partial output is attached instead.
 */
export class StreamInterruptedError extends RouterError {
  override readonly name = 'StreamInterruptedError';
  readonly model: string;
  readonly upstream: string;
  /** Text received before the interruption. */
  readonly partialContent: string;
  /** Chunks received before the interruption. */
  readonly chunks: number;
  readonly attempts: readonly AttemptRecord[];

  constructor(options: StreamInterruptedErrorOptions) {
    super(
      `${options.model}: the stream from ${options.upstream} was interrupted after ${options.chunks} chunk(s): ${options.reason}`,
      {
        code: 'STREAM_INTERRUPTED',
        cause: options.cause,
      },
    );
    this.model = options.model;
    this.upstream = options.upstream;
    this.partialContent = options.partialContent;
    this.chunks = options.chunks;
    this.attempts = Object.freeze([...options.attempts]);
  }
}
