/**
 * A linear scan of config text for hostile nesting, run before yaml parses it: yaml composes
 * nodes recursively, so it takes hundreds of milliseconds to reject 20,000 levels (and reports
 * wherever its stack ran out); this finds them at once, at the first level too many.
 */

/** Options of {@link findExcessiveNesting}. */
export type FindExcessiveNestingOptions = {
  /** Deepest accepted nesting of maps and lists. */
  readonly maxDepth: number;
  /**
   * Most collections opened inline (`[`, `{`) or compactly (`- - x`), the file over: the shapes
   * that cost the parser most per byte. @default Infinity
   */
  readonly maxCollections?: number;
};

/** Where the scan stopped, and which limit the text passed there. */
export type ExcessiveNesting = {
  /** Offset of the first level (or collection) too many. */
  readonly offset: number;
  readonly limit: 'depth' | 'collections';
};

/**
 * One linear pass over the text for hostile nesting: flow collections (`[[[…`, `{a: {a: …`),
 * compact block collections on one line (`- - - …`) and ever deeper indentation. Quotes and
 * comments are skipped. The count can only err high (a bracket inside a plain scalar,
 * indentation inside a block scalar), which matters only past `maxDepth` levels. Returns where
 * the first level (or collection) too many opens, or undefined.
 */
export function findExcessiveNesting(
  text: string,
  { maxDepth, maxCollections = Number.POSITIVE_INFINITY }: FindExcessiveNestingOptions,
): ExcessiveNesting | undefined {
  const scan: NestingScan = {
    text,
    maxDepth,
    maxCollections,
    collections: 0,
    flow: 0,
    compact: 0,
    indents: [],
    lineBegin: 0,
    lineStart: true,
    indentPending: true,
    quote: undefined,
    previous: '\n',
  };
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (scan.quote !== undefined) {
      index = skipInQuote(scan, index);
      continue;
    }
    if (char === '\n') {
      startLine(scan, index);
      continue;
    }
    if (char === '#' && /\s/.test(scan.previous)) {
      const end = text.indexOf('\n', index);
      index = (end === -1 ? text.length : end) - 1;
      continue;
    }
    if (indentTooDeep(scan, index, char)) return { offset: index, limit: 'depth' };
    const opened = scan.collections;
    if (structureTooDeep(scan, index)) return { offset: index, limit: 'depth' };
    if (scan.collections > opened && scan.collections > maxCollections)
      return { offset: index, limit: 'collections' };
    scan.previous = char;
  }
  return undefined;
}

/** The issue for text past a limit: its code and a message saying how to fix it. */
export function describeExcessiveNesting(
  nested: ExcessiveNesting,
  limits: { readonly maxDepth: number; readonly maxCollections: number },
): { code: 'YAML_TOO_DEEP' | 'YAML_TOO_MANY_COLLECTIONS'; message: string } {
  if (nested.limit === 'depth')
    return {
      code: 'YAML_TOO_DEEP',
      message: `nesting is deeper than ${limits.maxDepth} levels; flatten the config`,
    };
  return {
    code: 'YAML_TOO_MANY_COLLECTIONS',
    message: `more than ${limits.maxCollections} lists and maps are written inline ([ ], { }) or compactly (- - x); a real config needs far fewer. Remove the repeated data, or raise the limit (the limits.maxCollections option)`,
  };
}

/** Where the scan is. */
type NestingScan = {
  readonly text: string;
  readonly maxDepth: number;
  readonly maxCollections: number;
  /** Collections opened inline or compactly so far. */
  collections: number;
  /** Open `[` and `{`. */
  flow: number;
  /** `- `, `? ` and `: ` opening collections on the current line. */
  compact: number;
  /** Indentations of the enclosing block collections, outermost first. */
  readonly indents: number[];
  lineBegin: number;
  /** Nothing but indicators and spaces so far on this line. */
  lineStart: boolean;
  /** The line's indentation is not measured yet. */
  indentPending: boolean;
  /** The quote character of the quoted scalar the scan is in. */
  quote: string | undefined;
  previous: string;
};

/** One character inside quotes; returns the index of the last character consumed. */
function skipInQuote(scan: NestingScan, index: number): number {
  const { text } = scan;
  const char = text[index] as string;
  let last = index;
  if (char === '\\' && scan.quote === '"') last += 1;
  else if (char === "'" && scan.quote === "'" && text[index + 1] === "'") last += 1;
  else if (char === scan.quote) scan.quote = undefined;
  scan.previous = char;
  return last;
}

function startLine(scan: NestingScan, index: number): void {
  scan.compact = 0;
  scan.lineBegin = index + 1;
  scan.lineStart = true;
  scan.indentPending = true;
  scan.previous = '\n';
}

/** At a line's first character: whether its indentation opens one block level too many. */
function indentTooDeep(scan: NestingScan, index: number, char: string): boolean {
  if (!scan.indentPending || char === ' ' || char === '\r') return false;
  scan.indentPending = false;
  if (scan.flow !== 0) return false;
  const indent = index - scan.lineBegin;
  const { indents } = scan;
  while (indents.length > 0 && (indents.at(-1) as number) >= indent) indents.pop();
  indents.push(indent);
  return indents.length > scan.maxDepth;
}

/** Whether the character opens one flow or compact level too many. */
function structureTooDeep(scan: NestingScan, index: number): boolean {
  const { text } = scan;
  const char = text[index] as string;
  if ((char === '"' || char === "'") && /[\s[{,:]/.test(scan.previous)) {
    scan.quote = char;
    scan.lineStart = false;
  } else if (char === '[' || char === '{') {
    scan.flow += 1;
    scan.collections += 1;
    scan.lineStart = false;
    if (scan.flow > scan.maxDepth) return true;
  } else if (char === ']' || char === '}') {
    scan.flow = Math.max(0, scan.flow - 1);
    scan.lineStart = false;
  } else if ((char === '-' || char === '?' || char === ':') && scan.lineStart) {
    const next = text[index + 1];
    if (next === ' ' || next === '\t') {
      scan.compact += 1;
      scan.collections += 1;
      if (scan.indents.length + scan.compact > scan.maxDepth) return true;
    } else scan.lineStart = false;
  } else if (char !== ' ' && char !== '\t' && char !== '\r') {
    scan.lineStart = false;
  }
  return false;
}
