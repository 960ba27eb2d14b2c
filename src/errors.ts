/**
 * Errors are data: one base class with a stable `code`, a few subclasses with structured
 * fields, and a guard that survives duplicate installs and bundlers (`instanceof` does not).
 */

import type { ErrorClass } from './config/route-table.ts';
import { createExcerptRenderer, type ExcerptHints } from './internal/render-excerpt.ts';

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
  /** The wrapped error, if any. @default undefined */
  cause?: unknown;
};

/** Base class of every error Switchyard throws. Check with {@link isRouterError}. */
export class RouterError extends Error {
  override readonly name: string = 'RouterError';
  /** Stable machine-readable code. */
  readonly code: RouterErrorCode;
  /**
   * Every attempt made before the call ended, in order. Set on `ABORTED`, `DEADLINE_EXCEEDED`
   * and `ROUTER_CLOSED` errors a call ends with (empty when nothing was sent), on an
   * `INVALID_REQUEST` for a request that never left the process, and always on
   * {@link AllTargetsFailedError} and {@link StreamInterruptedError}; undefined otherwise.
   */
  declare readonly attempts?: readonly AttemptRecord[];

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
  | 'CONFIG_NOT_A_FILE'
  | 'CONFIG_TOO_LARGE'
  | 'YAML_SYNTAX'
  | 'YAML_DUPLICATE_KEY'
  | 'YAML_UNKNOWN_TAG'
  | 'YAML_ALIAS_LIMIT'
  | 'YAML_TOO_DEEP'
  | 'YAML_TOO_MANY_COLLECTIONS'
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
  /** The config file's name, used in the message. @default '<config>' */
  file?: string;
  /**
   * The config text, used to show each issue's line with a caret; not kept on the error. Values
   * of credential-like keys on the shown lines are blanked.
   * @default undefined (no excerpts)
   */
  source?: string;
  /** `CONFIG_NOT_FOUND` when the file could not be read. @default 'CONFIG_INVALID' */
  code?: 'CONFIG_INVALID' | 'CONFIG_NOT_FOUND';
  /** The wrapped error. @default undefined */
  cause?: unknown;
};

/** What the config loader knows beyond the public options: exact secret ranges, line offsets. */
let pendingHints: ExcerptHints | undefined;

/**
 * A {@link ConfigError} whose excerpts blank the exact secret ranges of `source` (the loader
 * knows where every `${VAR}` expanded to a credential). Internal: not part of the public API.
 */
export function createConfigError(options: ConfigErrorOptions, hints: ExcerptHints): ConfigError {
  pendingHints = hints;
  try {
    return new ConfigError(options);
  } finally {
    pendingHints = undefined;
  }
}

/**
 * A config has problems. `issues` lists every one found in a single pass; the message shows each
 * as `file:line:column`, the offending line and a caret.
 *
 * It extends {@link RouterError} although no router is involved: every error Switchyard throws
 * shares one base and one guard, so one `catch` with `isRouterError(error)` (or
 * `instanceof RouterError`) handles config and call errors alike and `error.code` tells them
 * apart. Giving it a base of its own would break code that relies on that.
 */
export class ConfigError extends RouterError {
  override readonly name = 'ConfigError';
  /** Every problem found. */
  readonly issues: readonly ConfigIssue[];
  /** The config file's name (or `<config>` for a string). */
  readonly file: string;

  constructor(options: ConfigErrorOptions) {
    const file = options.file ?? '<config>';
    super(formatConfigIssues({ ...options, file, hints: pendingHints ?? {} }), {
      code: options.code ?? 'CONFIG_INVALID',
      cause: options.cause,
    });
    this.issues = Object.freeze([...options.issues]);
    this.file = file;
  }
}

/** Problems shown with an excerpt and a caret; later ones get one line each. */
const maxExcerpts = 100;

/** Renders issues as `file:line:column CODE path: message`, excerpt and caret. */
function formatConfigIssues(
  options: ConfigErrorOptions & { file: string; hints: ExcerptHints },
): string {
  const { issues, file, source } = options;
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = [`${file}: ${count}`];
  const excerpt = source === undefined ? undefined : createExcerptRenderer(source, options.hints);
  let shown = 0;
  for (const issue of issues) {
    const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
    const path = issue.path.length > 0 ? ` ${formatPath(issue.path)}:` : '';
    const text = `${where} ${issue.code}${path} ${issue.message}`;
    // Past the first problems, one line each: a file with thousands of problems stays readable
    // (and cheap to report); every problem is still listed, and in `issues`.
    if (shown < maxExcerpts) lines.push('', text);
    else lines.push(text);
    if (excerpt !== undefined && issue.line !== undefined && shown < maxExcerpts) {
      for (const line of excerpt({ line: issue.line, column: issue.column ?? 1 })) lines.push(line);
    }
    shown += 1;
    if (shown === maxExcerpts && issues.length > maxExcerpts) {
      lines.push('', `(${issues.length - maxExcerpts} more problems, one line each:)`);
    }
  }
  return lines.join('\n');
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
  /** What happened next. `skipped`: not sent. `cancelled`: a hedge's other attempt served first. */
  readonly decision: 'success' | 'retry' | 'fallback' | 'fail' | 'skipped' | 'cancelled';
  /** Wait before the next request, in milliseconds (0 when none). */
  readonly waitMs: number;
  /** Time from sending to the outcome, in milliseconds. */
  readonly durationMs: number;
  /** A short description of the failure (status and the provider's message; never a secret). */
  readonly message?: string;
  /** Gateway response identifiers, when the gateway sent them (e.g. `cf-aig-log-id`). */
  readonly gatewayIds?: Readonly<Record<string, string>>;
  /** True for both attempts of a hedged stream (the alias's `hedge`); absent otherwise. */
  readonly hedged?: true;
  /** The call's context (`RouterRequestOptions.context`), when the request gave one. */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
};

/**
 * Gives an abort, deadline or close error the attempts made before it, once (the first caller
 * wins). Internal: the router calls it as the error leaves a call.
 */
export function recordAttempts<T extends RouterError>(
  error: T,
  attempts: readonly AttemptRecord[],
): T {
  if (!Object.hasOwn(error, 'attempts')) {
    (error as { attempts?: readonly AttemptRecord[] }).attempts = Object.freeze([...attempts]);
  }
  return error;
}

/**
 * Why an {@link AllTargetsFailedError} was thrown: every target was tried and failed
 * (`exhausted`), or the policy said `fail` for an error class and the router stopped before the
 * rest of the chain (`policy-stop`; `stoppedOn` names the class), or no target's `contextWindow`
 * (or `maxOutputTokens`) fits the request, so nothing was sent (`context-length`).
 */
export type AllTargetsFailedReason = 'exhausted' | 'policy-stop' | 'context-length';

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
  /** Why the call failed. @default 'exhausted' */
  reason?: AllTargetsFailedReason;
  /** With `policy-stop`: the error class the policy stops on. @default undefined */
  stoppedOn?: ErrorClass;
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
  override readonly attempts: readonly AttemptRecord[];
  /** The first target's failure. */
  readonly primaryError: unknown;
  /** The last failure (an `openai` `APIError` for HTTP failures). */
  readonly lastError: unknown;
  /** HTTP status of the last failure, if it had one. */
  readonly status: number | undefined;
  /** Why the call failed: every target tried, or the policy stopped it. */
  readonly reason: AllTargetsFailedReason;
  /** With `policy-stop`: the error class the policy stops on; undefined otherwise. */
  readonly stoppedOn: ErrorClass | undefined;

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
      `${options.model}: ${describeReason(options)} after ${options.attempts.filter((attempt) => attempt.decision !== 'skipped').length} request(s) to ${tried} upstream(s); last: ${summary}`,
      { code: 'ALL_TARGETS_FAILED', cause: options.lastError },
    );
    this.model = options.model;
    this.attempts = Object.freeze([...options.attempts]);
    this.primaryError = options.primaryError;
    this.lastError = options.lastError;
    const status = (options.lastError as { status?: unknown } | undefined)?.status;
    this.status = typeof status === 'number' ? status : undefined;
    this.reason = options.reason ?? 'exhausted';
    this.stoppedOn = this.reason === 'policy-stop' ? options.stoppedOn : undefined;
  }
}

function describeReason(options: AllTargetsFailedErrorOptions): string {
  if (options.reason === 'policy-stop')
    return `stopped: the policy does not retry ${options.stoppedOn ?? 'these'} errors or pass them to another target`;
  if (options.reason === 'context-length')
    return 'no target has a context window that fits the request (shorten it, or add a target with a larger contextWindow)';
  return 'all targets failed';
}

/** Options of {@link UnknownAliasError}. */
export type UnknownAliasErrorOptions = {
  /** The name asked for. */
  model: string;
  /** The aliases that exist. */
  available: readonly string[];
  /** A close match, if any. @default undefined (no suggestion) */
  suggestion?: string;
  /**
   * When `model` names an upstream rather than an alias: the aliases whose chain uses it and
   * the upstream as `<gateway>:<model>`. @default undefined (not an upstream)
   */
  upstream?: { readonly usedBy: readonly string[]; readonly direct: string };
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
    const { upstream } = options;
    super(
      upstream === undefined
        ? `Unknown model "${options.model}".${hint} Aliases: ${shown || 'none'}${more}. Or address a gateway directly as <gateway>:<model>.`
        : `Unknown model "${options.model}": "${options.model}" is an upstream, not an alias; aliases that use it: ${upstream.usedBy.slice(0, 20).join(', ') || 'none'}. Call one of them, or the upstream's model directly as "${upstream.direct}".`,
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
  override readonly attempts: readonly AttemptRecord[];

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
