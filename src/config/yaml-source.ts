/**
 * The YAML layer: parses config text as hostile input and maps config paths back to
 * source positions. Runtime-neutral (no `node:` imports).
 */
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLError,
} from 'yaml';
import type { ConfigIssue, ConfigIssueCode } from '../errors.ts';
import {
  describeExcessiveNesting,
  type ExcessiveNesting,
  findExcessiveNesting,
} from './yaml-nesting.ts';

/** Limits applied while parsing. */
export type YamlLimits = {
  /**
   * Largest accepted text, in characters (`loadConfig` counts the file's bytes, before reading
   * it). Room for a config of over 1,000 aliases; the cost of loading grows linearly with the
   * size, hostile input included (docs/configuration.md gives the measured cost per KiB).
   * @default 1_048_576 (1 MiB)
   */
  maxSize: number;
  /** Deepest accepted nesting of maps and lists. @default 64 */
  maxDepth: number;
  /**
   * Most nodes that aliases (`*name`) may add to the document once expanded (an alias of a map
   * of three keys adds seven: the map, three keys, three values); `0` forbids aliases.
   * @default 10_000
   */
  maxAliasCount: number;
  /**
   * Most lists and maps written inline (`[`, `{`) or compactly (`- - x`), the file over. These
   * cost the parser most per byte (a node per bracket: densely nested brackets took 0.7 MiB of
   * memory per KiB); the limit keeps a hostile file's cost near that of ordinary text, while a
   * config of 1,000 aliases in the example's style uses about 2,500.
   * @default 25_000
   */
  maxCollections: number;
};

/** Default {@link YamlLimits}. */
export const defaultYamlLimits: YamlLimits = Object.freeze({
  maxSize: 1_048_576,
  maxDepth: 64,
  maxAliasCount: 10_000,
  maxCollections: 25_000,
});

/** A parsed YAML document with what is needed to point back into it. */
export type YamlSource = {
  readonly text: string;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
};

/** Result of {@link parseYamlSource}: the source, or the issues that stopped parsing. */
export type ParseYamlResult =
  | { readonly ok: true; readonly source: YamlSource }
  | {
      readonly ok: false;
      readonly issues: ConfigIssue[];
      readonly lineCounter?: LineCounter;
      /** What yaml made of text it could not parse cleanly: used only to find secret values. */
      readonly document?: Document.Parsed;
    };

const yamlCodeToIssueCode: Readonly<Record<string, ConfigIssueCode>> = {
  TAG_RESOLVE_FAILED: 'YAML_UNKNOWN_TAG',
  MULTIPLE_DOCS: 'YAML_MULTIPLE_DOCUMENTS',
  RESOURCE_EXHAUSTION: 'YAML_TOO_DEEP',
};

/**
 * Parses text as one YAML 1.2 document with the core schema: no merge keys (even under a
 * `%YAML 1.1` directive), no custom tags, unique keys, string keys. Warnings are errors.
 */
export function parseYamlSource(text: string, limits: YamlLimits): ParseYamlResult {
  if (text.length > limits.maxSize) {
    return {
      ok: false,
      issues: [
        {
          code: 'CONFIG_TOO_LARGE',
          path: [],
          message: `the config is ${text.length} characters; the limit is ${limits.maxSize}. Keep data out of it, or raise the limit (the limits.maxSize option; --max-size on the command line)`,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const nested = findExcessiveNesting(text, {
    maxDepth: limits.maxDepth,
    maxCollections: limits.maxCollections,
  });
  if (nested !== undefined) return tooDeepAt({ text, nested, lineCounter, limits });
  const document = parseStrictDocument(text, lineCounter);
  if (document === undefined) return { ok: false, issues: [tooDeepIssue()] };

  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    const issues = problems.map((problem) =>
      yamlErrorToIssue({ error: problem, lineCounter, text }),
    );
    return { ok: false, issues: limitCascade(dedupe(issues)), lineCounter, document };
  }
  const structureIssues = checkStructure(document, limits.maxDepth, lineCounter);
  if (structureIssues.length > 0)
    return { ok: false, issues: structureIssues, lineCounter, document };
  return { ok: true, source: { text, document, lineCounter } };
}

type TooDeepAtOptions = {
  readonly text: string;
  /** Where the first level (or collection) too many opens. */
  readonly nested: ExcessiveNesting;
  /** Filled here: yaml has not seen the text. */
  readonly lineCounter: LineCounter;
  readonly limits: YamlLimits;
};

/** The result for text nested too deep, found before yaml parsed it. */
function tooDeepAt({ text, nested, lineCounter, limits }: TooDeepAtOptions): ParseYamlResult {
  lineCounter.addNewLine(0);
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    lineCounter.addNewLine(index + 1);
  }
  const position = lineCounter.linePos(nested.offset);
  return {
    ok: false,
    issues: [
      {
        ...describeExcessiveNesting(nested, limits),
        path: [],
        line: position.line,
        column: position.col,
      },
    ],
    lineCounter,
  };
}

/** yaml's parse with this module's strict settings; undefined when its stack ran out. */
function parseStrictDocument(text: string, lineCounter: LineCounter): Document.Parsed | undefined {
  try {
    return parseDocument(text, {
      lineCounter,
      version: '1.2',
      schema: 'core',
      merge: false,
      // `!!binary`, `!!timestamp`, `!!set`, `!!omap` and `!!pairs` would otherwise resolve under
      // any schema, to values no config needs (Buffer, Date, Set, Map): unknown tags instead.
      resolveKnownTags: false,
      // yaml's own duplicate check compares every key with every earlier one (quadratic in a
      // mapping's size); checkStructure does it with a set per mapping instead.
      uniqueKeys: false,
      strict: true,
      stringKeys: true,
      prettyErrors: false,
      keepSourceTokens: false,
    });
  } catch (error) {
    // yaml reports resource exhaustion as an error entry; a stack overflow that escapes it is
    // the same thing. Anything else (e.g. a runtime refusing yaml's read of LOG_TOKENS) is not a
    // problem of the config, and surfaces as itself.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function tooDeepIssue(): ConfigIssue {
  return { code: 'YAML_TOO_DEEP', path: [], message: 'nesting is too deep; flatten the config' };
}

function yamlErrorToIssue(options: {
  error: YAMLError;
  lineCounter: LineCounter;
  text: string;
}): ConfigIssue {
  const { error, lineCounter, text } = options;
  const code = yamlCodeToIssueCode[error.code] ?? 'YAML_SYNTAX';
  const position = lineCounter.linePos(error.pos[0]);
  const firstLine = error.message.split('\n')[0] ?? error.message;
  // yaml appends " at line L, column C"; the position is reported separately.
  let message = firstLine.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'YAML_UNKNOWN_TAG')
    message = `${message}; custom tags are not allowed, remove the tag`;
  if (code === 'YAML_MULTIPLE_DOCUMENTS')
    message = 'the file holds several YAML documents (---); keep one';
  if (code === 'YAML_TOO_DEEP') message = 'nesting is too deep; flatten the config';
  let line = position.line;
  let column = position.col;
  if (code === 'YAML_SYNTAX') {
    const lineAt = (number: number) =>
      text.slice(lineCounter.lineStarts[number - 1] ?? text.length).split('\n', 1)[0] ?? '';
    const indentOf = (lineText: string) => /^ */.exec(lineText)?.[0].length ?? 0;
    const lineText = lineAt(line);
    const next = lineAt(line + 1);
    const keyOf = (lineText: string) => lineText.trim().split(':', 1)[0] ?? '';
    // `{ key: ${VAR} }`: inside { } or [ ] a `{` opens a nested map.
    if (lineText.includes('${') && /[[{]/.test(lineText.replace(/\$\{/g, ''))) {
      message = `${message}; inside { } or [ ], quote variables: "\${VAR}"`;
    } else if (error.code === 'TAB_AS_INDENT') {
      message = `${message}: indent with spaces`;
    } else if (/^Flow (sequence|map|mapping) .*end with a [\]}]/.test(message)) {
      // An unclosed [ or { runs to the end of the file; yaml points past it, at an empty line.
      const opener = findUnclosedBracket(text);
      if (opener !== undefined) {
        const at = lineCounter.linePos(opener.offset);
        line = at.line;
        column = at.col;
        message = `"${opener.bracket}" is never closed: end the ${opener.bracket === '[' ? 'list' : 'map'} with "${opener.bracket === '[' ? ']' : '}'}" (on this line, or indented deeper than its key on the lines after)`;
      }
    } else if (error.code === 'BAD_INDENT') {
      // yaml points at column 1; the mis-aligned key is the cause.
      column = indentOf(lineText) + 1;
      message = `"${keyOf(lineText)}:" is not aligned with the keys before it (${message}); indent it to the column of the keys of the map it belongs to`;
    } else if (
      (error.code === 'BLOCK_AS_IMPLICIT_KEY' || error.code === 'MULTILINE_IMPLICIT_KEY') &&
      next.trim() !== '' &&
      indentOf(next) > indentOf(lineText) &&
      !lineText.trimEnd().endsWith(':')
    ) {
      // An over-indented key makes yaml read it as part of the value on the line before.
      line += 1;
      column = indentOf(next) + 1;
      message = `"${keyOf(next)}:" is indented deeper than "${keyOf(lineText)}:" on the line before, so YAML reads it as part of that value; indent it to the column of "${keyOf(lineText)}:" (or of the map it belongs to)`;
    } else if (error.code === 'BLOCK_AS_IMPLICIT_KEY') {
      message = `${message}: a value cannot hold "key: value" on the same line; quote the value, or put the key on its own line`;
    }
  }
  return { code, path: [], message, line, column };
}

/**
 * The first `[` or `{` of a flow collection that is never closed, outside quotes and comments;
 * undefined when every one is closed.
 */
function findUnclosedBracket(text: string): { bracket: '[' | '{'; offset: number } | undefined {
  const open: { bracket: '[' | '{'; offset: number }[] = [];
  let quote: string | undefined;
  for (let offset = 0; offset < text.length; offset += 1) {
    const char = text[offset];
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') offset += 1;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '#' && (offset === 0 || /\s/.test(text[offset - 1] ?? ''))) {
      const end = text.indexOf('\n', offset);
      offset = end === -1 ? text.length : end;
    } else if ((char === '"' || char === "'") && /[\s[{,:]/.test(text[offset - 1] ?? ' ')) {
      quote = char;
    } else if (char === '[' || char === '{') {
      open.push({ bracket: char, offset });
    } else if (char === ']' || char === '}') {
      open.pop();
    }
  }
  return open[0];
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.code}:${issue.line}:${issue.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * One syntax error tends to cause a cascade of others; keep the first per line and at most
 * three syntax errors in all: later ones are usually echoes of the first.
 */
function limitCascade(issues: ConfigIssue[]): ConfigIssue[] {
  const lines = new Set<number | undefined>();
  const kept: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'YAML_SYNTAX' && lines.has(issue.line)) continue;
    lines.add(issue.line);
    kept.push(issue);
  }
  const syntax = kept.filter((issue) => issue.code === 'YAML_SYNTAX').slice(0, 3);
  return kept.filter((issue) => issue.code !== 'YAML_SYNTAX' || syntax.includes(issue));
}

/**
 * One iterative walk (hostile depth cannot overflow the stack here): nesting deeper than
 * `maxDepth` stops it; duplicate keys are collected, each against a set of its mapping's keys.
 */
function checkStructure(
  document: Document.Parsed,
  maxDepth: number,
  lineCounter: LineCounter,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: document.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (!isCollection(node)) continue;
    if (depth > maxDepth) {
      const position = lineCounter.linePos(node.range?.[0] ?? 0);
      return [
        {
          code: 'YAML_TOO_DEEP',
          path: [],
          message: `nesting is deeper than ${maxDepth} levels; flatten the config`,
          line: position.line,
          column: position.col,
        },
      ];
    }
    const keys = isMap(node) ? new Set<string>() : undefined;
    for (const item of node.items as unknown[]) {
      if (!isPair(item)) {
        stack.push({ node: item, depth: depth + 1 });
        continue;
      }
      if (keys !== undefined) {
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        if (keys.has(key)) {
          const position = lineCounter.linePos((item.key as Node | null)?.range?.[0] ?? 0);
          issues.push({
            code: 'YAML_DUPLICATE_KEY',
            path: [],
            message: `duplicate key "${key.length > 40 ? `${key.slice(0, 40)}…` : key}" in this map; keep one of them`,
            line: position.line,
            column: position.col,
          });
        }
        keys.add(key);
      }
      stack.push({ node: item.value, depth: depth + 1 });
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Where a config path points in the source. */
export type SourceLocation = {
  /** Start offset of the value (or of the key, with `key: true`). */
  readonly offset: number;
  /** End offset of the same node. */
  readonly end: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
};

/** Options of {@link locate}. */
export type LocateOptions = {
  /** Point at the key of the last path segment instead of its value. */
  key?: boolean;
};

/**
 * The source position of a config path: the deepest node that exists along it, following
 * YAML aliases. Never fails: the root is the fallback.
 */
export function locate(
  source: YamlSource,
  path: readonly (string | number)[],
  options: LocateOptions = {},
): SourceLocation {
  let node: unknown = source.document.contents;
  let pair: Pair | undefined;
  for (const segment of path) {
    const resolved = resolveAlias(source, node);
    let next: unknown;
    pair = undefined;
    if (isMap(resolved)) {
      pair = pairsOf(resolved).get(String(segment));
      next = pair?.value;
    } else if (isSeq(resolved) && typeof segment === 'number') {
      next = resolved.items[segment];
    }
    if (next === undefined || next === null) {
      // `key:` with no value: point at the key.
      if (pair !== undefined && isScalar(pair.key)) node = pair.key;
      break;
    }
    node = next;
  }
  const target = options.key === true && pair !== undefined && isScalar(pair.key) ? pair.key : node;
  const range = (target as Node | undefined)?.range;
  const offset = range?.[0] ?? 0;
  const position = source.lineCounter.linePos(offset);
  return { offset, end: range?.[1] ?? offset, line: position.line, column: position.col };
}

/** Each map's pairs by key, built on first use: locating many issues stays linear. */
const pairIndexes = new WeakMap<object, Map<string, Pair>>();

function pairsOf(map: { items: Pair[] }): Map<string, Pair> {
  let index = pairIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      const key = isScalar(item.key) ? String(item.key.value) : undefined;
      // The first pair wins, as `find` did (duplicate keys are reported before this runs).
      if (key !== undefined && !index.has(key)) index.set(key, item);
    }
    pairIndexes.set(map, index);
  }
  return index;
}

function resolveAlias(source: YamlSource, node: unknown): unknown {
  let current = node;
  for (let hops = 0; hops < 16 && isAlias(current); hops += 1) {
    current = current.resolve(source.document);
  }
  return current;
}
