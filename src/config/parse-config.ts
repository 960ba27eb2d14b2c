/**
 * `parseConfig(text)`: YAML text → validated, compiled, frozen route table, or one
 * `ConfigError` listing every problem. Runtime-neutral: no `node:` imports on this path.
 */
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  type Node,
  visit,
} from 'yaml';
import { type ConfigError, type ConfigIssue, createConfigError } from '../errors.ts';
import { type CompileIssue, compileConfig } from './compile-config.ts';
import type { SwitchyardConfig } from './config.generated.ts';
import { emulatorURLVariable, pointAtEmulator } from './emulator-url.ts';
import { type ConfigEnv, type InterpolateResult, interpolateEnv } from './interpolate-env.ts';
import { explainMisplacedKeys } from './misplaced-keys.ts';
import type { RouteTable } from './route-table.ts';
import { validateConfig } from './validate-config.ts';
import {
  defaultYamlLimits,
  locate,
  type ParseYamlResult,
  parseYamlSource,
  type YamlLimits,
  type YamlSource,
} from './yaml-source.ts';

/** Options of {@link parseConfig}. */
export type ParseConfigOptions = {
  /** File name shown in errors. @default '<config>' */
  file?: string;
  /**
   * Variables for `${VAR}` expansion.
   * @default process.env where the runtime has one, else no variables
   */
  env?: ConfigEnv;
  /**
   * Parser limits (size in characters, nesting depth, alias expansions); each one left out keeps
   * its default.
   * @default { maxSize: 1_048_576, maxDepth: 64, maxAliasCount: 10_000, maxCollections: 25_000 }
   */
  limits?: Partial<YamlLimits>;
  /**
   * Called once per `${NAME}` that is not set, instead of failing with `ENV_VAR_MISSING`: the
   * value gets a placeholder of the right shape (a URL, a duration or a plain token) and the rest
   * of the config is checked as usual. For checking a config's structure without its secrets
   * (`switchyard validate --allow-missing-env`); never for serving calls.
   * @default undefined (a missing variable is an error)
   */
  onMissingEnv?: (missing: MissingEnvVariable) => void;
};

/** A variable that is not set, reported to {@link ParseConfigOptions.onMissingEnv}. */
export type MissingEnvVariable = {
  /** The variable's name. */
  readonly name: string;
  /** Where it is used in the config. */
  readonly path: readonly (string | number)[];
  /** 1-based line of the value. */
  readonly line: number;
  /** 1-based column of the value. */
  readonly column: number;
};

/** Keys whose values are credentials, wherever they appear; their text is blanked in excerpts. */
const secretKey = /key|token|secret|passw|auth|credential|bearer/i;

/**
 * Parses, validates and compiles config text. Throws one {@link ConfigError} carrying every
 * problem found (YAML, environment variables and schema together; then references, cycles and
 * credentials once the shape is right).
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): RouteTable {
  const file = options.file ?? '<config>';
  const limits: YamlLimits = { ...defaultYamlLimits, ...options.limits };
  const env = options.env ?? defaultEnv();

  const parsed = parseYamlSource(text, limits);
  if (!parsed.ok) throw yamlSyntaxError({ parsed, file, text });
  const failure: FailureContext = { file, text, source: parsed.source, extraSecretRanges: [] };

  const interpolated = interpolateEnv(failure.source.document, env, {
    placeholders: options.onMissingEnv !== undefined,
  });
  const issues = positionEnvIssues({
    source: failure.source,
    interpolated,
    onMissingEnv: options.onMissingEnv,
  });
  const data = toPlainData({ failure, limits, issues });
  issues.push(...schemaIssues({ failure, data, envIssues: interpolated.issues }));
  if (issues.length > 0) return fail(failure, { issues: explainMisplacedKeys(issues) });

  const compiled = compileConfig({ config: data as SwitchyardConfig, source: file });
  if (!compiled.ok) {
    const { expanded } = interpolated;
    const positioned = compileIssues({ source: failure.source, issues: compiled.issues, expanded });
    return fail(failure, { issues: positioned });
  }
  const emulatorURL = env[emulatorURLVariable];
  if (emulatorURL === undefined || emulatorURL === '') return compiled.table;
  const pointed = pointAtEmulator({ table: compiled.table, url: emulatorURL });
  if (!pointed.ok) return fail(failure, { issues: [{ ...pointed.issue, line: 1, column: 1 }] });
  return pointed.table;
}

type YamlSyntaxErrorOptions = {
  readonly parsed: Extract<ParseYamlResult, { ok: false }>;
  readonly file: string;
  readonly text: string;
};

/** The error for text yaml could not parse. */
function yamlSyntaxError({ parsed, file, text }: YamlSyntaxErrorOptions): ConfigError {
  return createConfigError(
    { issues: parsed.issues, file, source: text },
    {
      ...(parsed.lineCounter === undefined ? {} : { lineStarts: parsed.lineCounter.lineStarts }),
      // Even text yaml could not parse has secrets on the lines its errors point at.
      ...(parsed.document === undefined
        ? {}
        : {
            // `{ key: ${VAR} }` leaves yaml a lone `$` before the `{`: no secret, and the cause.
            secretRanges: findSecretRanges(parsed.document).filter(
              ([from, to]) => !(text.slice(from, to) === '$' && text[to] === '{'),
            ),
          }),
    },
  );
}

/** What throwing the one `ConfigError` of parsed text needs. */
type FailureContext = {
  readonly file: string;
  readonly text: string;
  readonly source: YamlSource;
  /**
   * Secret ranges are only needed to print excerpts: found when an error is thrown, not on the
   * success path (a full pass over the document). Misspelt credential keys add to them.
   */
  readonly extraSecretRanges: [number, number][];
};

/** The issues to throw, and what caused them when it was an exception. */
type FailOptions = { readonly issues: ConfigIssue[]; readonly cause?: unknown };

/** Throws the one `ConfigError` for `issues`, sorted by position, secrets blanked. */
function fail(context: FailureContext, { issues, cause }: FailOptions): never {
  throw createConfigError(
    {
      issues: sortIssues(issues),
      file: context.file,
      source: context.text,
      ...(cause === undefined ? {} : { cause }),
    },
    {
      lineStarts: context.source.lineCounter.lineStarts,
      secretRanges: [...findSecretRanges(context.source.document), ...context.extraSecretRanges],
    },
  );
}

type PositionEnvIssuesOptions = {
  readonly source: YamlSource;
  readonly interpolated: InterpolateResult;
  readonly onMissingEnv: ParseConfigOptions['onMissingEnv'];
};

/** Positions the issues of `${VAR}` expansion, and hands each missing variable to `onMissingEnv`. */
function positionEnvIssues(options: PositionEnvIssuesOptions): ConfigIssue[] {
  const { source, interpolated, onMissingEnv } = options;
  const issues: ConfigIssue[] = interpolated.issues.map(({ offset, ...issue }) => {
    const position = source.lineCounter.linePos(offset);
    return { ...issue, line: position.line, column: position.col };
  });
  for (const { offset, ...missing } of interpolated.missing) {
    const position = source.lineCounter.linePos(offset);
    onMissingEnv?.({ ...missing, line: position.line, column: position.col });
  }
  return issues;
}

type ToPlainDataOptions = {
  readonly failure: FailureContext;
  readonly limits: YamlLimits;
  /** Issues found so far, thrown along with an alias bomb. */
  readonly issues: ConfigIssue[];
};

/** The document as plain data; throws when its aliases expand past the limit. */
function toPlainData({ failure, limits, issues }: ToPlainDataOptions): unknown {
  const { source } = failure;
  let cause: unknown;
  const aliases = resolveAliases(source.document);
  if (aliases.added <= limits.maxAliasCount) {
    // Each alias replaced by the node it stands for: yaml's own resolution scans the document
    // once per alias (quadratic in their number), and its count is off (the check above
    // counts every node an alias brings in).
    if (aliases.targets.size > 0) {
      visit(source.document, { Alias: (_key, node) => aliases.targets.get(node) });
    }
    try {
      return source.document.toJS({ maxAliasCount: -1 });
    } catch (error) {
      cause = error;
    }
  }
  const position = source.lineCounter.linePos(firstAliasOffset(source));
  const bomb: ConfigIssue = {
    code: 'YAML_ALIAS_LIMIT',
    path: [],
    message: `aliases (*name) expand to more than ${limits.maxAliasCount} nodes, which looks like an alias bomb; write the values out or use fewer aliases`,
    line: position.line,
    column: position.col,
  };
  return fail(failure, { issues: [...issues, bomb], ...(cause === undefined ? {} : { cause }) });
}

/** What the aliases of a document stand for, and how many nodes they add. */
type ResolvedAliases = {
  /** Each alias node → the node it stands for (absent when its anchor is unknown). */
  readonly targets: Map<unknown, Node>;
  /**
   * How many nodes the aliases add once expanded: each `*name` counts the nodes of what it
   * stands for, aliases inside it expanded too (an alias inside what it stands for counts as
   * endless). What validating and compiling the plain data costs beyond the text itself.
   */
  readonly added: number;
};

/**
 * Resolves every alias in one pass over the document, and counts what they add; linear in the
 * document (the expanded size of each anchored node is counted once).
 */
function resolveAliases(document: Document.Parsed): ResolvedAliases {
  // What each alias stands for: the last node with its anchor before it, in document order.
  const targets = new Map<unknown, Node>();
  const anchored = new Map<string, Node>();
  visit(document, {
    Node(_key, node) {
      const target = isAlias(node) ? anchored.get(node.source) : undefined;
      if (target !== undefined) targets.set(node, target);
      else if (!isAlias(node) && node.anchor !== undefined) anchored.set(node.anchor, node);
    },
  });
  if (targets.size === 0) return { targets, added: 0 };
  const sizes = new Map<unknown, number>();
  /** Nodes in `node` once every alias in it is expanded. */
  const expandedSize = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      return target === undefined ? 1 : expandedSize(target);
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    // Marked while counted: an alias back into it is a cycle.
    sizes.set(node, Number.POSITIVE_INFINITY);
    let size = 1;
    for (const item of node.items) {
      size += isPair(item) ? expandedSize(item.key) + expandedSize(item.value) : expandedSize(item);
    }
    sizes.set(node, size);
    return size;
  };
  let added = 0;
  for (const alias of targets.keys()) added += expandedSize(alias);
  return { targets, added };
}

type SchemaIssuesOptions = {
  readonly failure: FailureContext;
  readonly data: unknown;
  /** Issues of `${VAR}` expansion: their paths get no second, derived complaint. */
  readonly envIssues: InterpolateResult['issues'];
};

/** Schema issues with positions; the value of a misspelt key is blanked as a possible secret. */
function schemaIssues({ failure, data, envIssues }: SchemaIssuesOptions): ConfigIssue[] {
  const { source, text } = failure;
  const envPaths = envIssues.map((issue) => issue.path.join('\u0000'));
  const derived = (path: readonly (string | number)[]) => envPaths.includes(path.join('\u0000'));
  const issues: ConfigIssue[] = [];
  for (const issue of validateConfig(data)) {
    if (derived(issue.path)) continue;
    const { atKey, ...rest } = issue;
    const position = locate(source, issue.path, { key: atKey });
    issues.push({ ...rest, line: position.line, column: position.column });
    if (issue.code === 'SCHEMA_UNKNOWN_KEY') {
      // A misspelt credential key is still a credential: blank its value too.
      const value = locate(source, issue.path);
      const isScalarValue = !/^[[{]/.test(text.slice(value.offset, value.offset + 1));
      if (value.offset !== position.offset && isScalarValue)
        failure.extraSecretRanges.push([value.offset, value.end]);
    }
  }
  return issues;
}

type CompileIssuesOptions = {
  readonly source: YamlSource;
  readonly issues: readonly CompileIssue[];
  /** Values that came from `${VAR}`. */
  readonly expanded: InterpolateResult['expanded'];
};

/**
 * Compile issues with positions; a value that came from `${VAR}` is named by its variable (never
 * shown), at its use.
 */
function compileIssues({ source, issues, expanded }: CompileIssuesOptions): ConfigIssue[] {
  const variables = new Map(
    expanded.map((value) => [
      value.path.join('\u0000'),
      variableNames(source.text.slice(value.range[0], value.range[1])),
    ]),
  );
  return explainMisplacedKeys(issues).map((issue) => {
    const names = variables.get(issue.path.join('\u0000'));
    const from =
      names === undefined || names.length === 0
        ? ''
        : ` (the value comes from ${names.map((name) => `\${${name}}`).join(', ')})`;
    return positionIssue(source, { ...issue, message: `${issue.message}${from}` });
  });
}

/** The variables `${NAME}` a raw YAML value names (`$${` is a literal, not a variable). */
function variableNames(raw: string): string[] {
  const names = new Set<string>();
  for (const match of raw.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

function positionIssue(source: YamlSource, issue: CompileIssue): ConfigIssue {
  const { atKey, ...rest } = issue;
  const position = locate(source, issue.path, { key: atKey === true });
  return { ...rest, line: position.line, column: position.column };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

/**
 * Text ranges of values under credential-like keys (and everything under `headers` and `keys`).
 * A value of the wrong shape is blanked whole: it may be a secret that yaml read as a map.
 */
function findSecretRanges(document: Document.Parsed): [number, number][] {
  const ranges: [number, number][] = [];
  visit(document, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key)) return;
      const name = String(pair.key.value);
      const parentPair = ancestors.at(-2);
      const underSecretMap =
        parentPair !== undefined &&
        typeof parentPair === 'object' &&
        parentPair !== null &&
        'key' in parentPair &&
        isScalar(parentPair.key) &&
        /^(headers|keys)$/.test(String(parentPair.key.value));
      const value = pair.value;
      // A URL can carry credentials too: `https://user:key@host`, `?key=...`.
      if (
        /^(baseURL|url)$/.test(name) &&
        isScalar(value) &&
        value.range &&
        /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@|[?#]/i.test(String(value.value))
      ) {
        ranges.push([value.range[0], value.range[1]]);
        return;
      }
      if (!secretKey.test(name) && !underSecretMap) return;
      if (isMap(value) && /^(auth|keys)$/.test(name) && !underSecretMap) {
        for (const item of value.items) {
          if (isScalar(item.value) && item.value.range)
            ranges.push([item.value.range[0], item.value.range[1]]);
        }
      } else if (isNode(value) && value.range) {
        ranges.push([value.range[0], value.range[1]]);
      }
    },
  });
  return ranges;
}

function firstAliasOffset(source: YamlSource): number {
  let offset = 0;
  visit(source.document, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function defaultEnv(): ConfigEnv {
  const process = (globalThis as { process?: { env?: ConfigEnv } }).process;
  return process?.env ?? {};
}
