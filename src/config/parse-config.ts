/**
 * `parseConfig(text)`: YAML text → validated, compiled, frozen route table, or one
 * `ConfigError` listing every problem. Runtime-neutral: no `node:` imports on this path.
 */
import { type Document, isMap, isNode, isScalar, visit } from 'yaml';
import { type ConfigError, type ConfigIssue, createConfigError } from '../errors.ts';
import { type CompileIssue, compileConfig } from './compile-config.ts';
import type { SwitchyardConfig } from './config.generated.ts';
import { emulatorURLVariable, pointAtEmulator } from './emulator-url.ts';
import { type ConfigEnv, interpolateEnv } from './interpolate-env.ts';
import { explainMisplacedKeys } from './misplaced-keys.ts';
import type { RouteTable } from './route-table.ts';
import { validateConfig } from './validate-config.ts';
import {
  defaultYamlLimits,
  locate,
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
   * @default { maxSize: 1_048_576, maxDepth: 64, maxAliasCount: 100 }
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
  if (!parsed.ok) {
    throw createConfigError(
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
  const source = parsed.source;
  // Secret ranges are only needed to print excerpts: found when an error is thrown, not on the
  // success path (a full pass over the document). Misspelt credential keys add to them below.
  const extraSecretRanges: [number, number][] = [];
  const fail = (issues: ConfigIssue[], cause?: unknown): never => {
    throw createConfigError(
      {
        issues: sortIssues(issues),
        file,
        source: text,
        ...(cause === undefined ? {} : { cause }),
      },
      {
        lineStarts: source.lineCounter.lineStarts,
        secretRanges: [...findSecretRanges(source.document), ...extraSecretRanges],
      },
    );
  };

  const interpolated = interpolateEnv(source.document, env, {
    placeholders: options.onMissingEnv !== undefined,
  });
  const issues: ConfigIssue[] = interpolated.issues.map(({ offset, ...issue }) => {
    const position = source.lineCounter.linePos(offset);
    return { ...issue, line: position.line, column: position.col };
  });
  for (const { offset, ...missing } of interpolated.missing) {
    const position = source.lineCounter.linePos(offset);
    options.onMissingEnv?.({ ...missing, line: position.line, column: position.col });
  }

  let data: unknown;
  try {
    data = source.document.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const position = source.lineCounter.linePos(firstAliasOffset(source));
    return fail(
      [
        ...issues,
        {
          code: 'YAML_ALIAS_LIMIT',
          path: [],
          message: `aliases (*name) expand to more than ${limits.maxAliasCount} nodes, which looks like an alias bomb; write the values out or use fewer aliases`,
          line: position.line,
          column: position.col,
        },
      ],
      error,
    );
  }

  // Paths whose value came from a broken ${VAR} get no second, derived complaint.
  const envPaths = interpolated.issues.map((issue) => issue.path.join('\u0000'));
  const derived = (path: readonly (string | number)[]) => envPaths.includes(path.join('\u0000'));
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
        extraSecretRanges.push([value.offset, value.end]);
    }
  }
  if (issues.length > 0) return fail(explainMisplacedKeys(issues));

  const compiled = compileConfig({ config: data as SwitchyardConfig, source: file });
  if (!compiled.ok) {
    // A value that came from ${VAR} is named by its variable (never shown), at its use.
    const variables = new Map(
      interpolated.expanded.map((value) => [
        value.path.join('\u0000'),
        variableNames(source.text.slice(value.range[0], value.range[1])),
      ]),
    );
    return fail(
      explainMisplacedKeys(compiled.issues).map((issue) => {
        const names = variables.get(issue.path.join('\u0000'));
        const from =
          names === undefined || names.length === 0
            ? ''
            : ` (the value comes from ${names.map((name) => `\${${name}}`).join(', ')})`;
        return positionIssue(source, { ...issue, message: `${issue.message}${from}` });
      }),
    );
  }
  const emulatorURL = env[emulatorURLVariable];
  if (emulatorURL === undefined || emulatorURL === '') return compiled.table;
  const pointed = pointAtEmulator({ table: compiled.table, url: emulatorURL });
  if (!pointed.ok) return fail([{ ...pointed.issue, line: 1, column: 1 }]);
  return pointed.table;
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
