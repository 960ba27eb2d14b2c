/**
 * The excerpt under a config issue: the offending line, secrets blanked, and a caret under the
 * column. Secrets are found two ways: the exact ranges the loader knows (where `${VAR}` expanded
 * to a credential), and, for text yaml could not parse, values of credential-like keys found by
 * pattern. Long lines are cut around the column.
 */

/** What the loader knows about the source beyond its text. */
export type ExcerptHints = {
  /** Character ranges of secret values in the source, blanked in excerpts. @default [] */
  readonly secretRanges?: readonly (readonly [number, number])[];
  /** Offsets where lines start (from yaml's `LineCounter`). @default computed from the text */
  readonly lineStarts?: readonly number[];
};

/** Where an excerpt points: a 1-based line and column. */
export type ExcerptPosition = { line: number; column: number };

/** A renderer of excerpts of `source`: the line and a caret line, or nothing past the end. */
export function createExcerptRenderer(
  source: string,
  hints: ExcerptHints,
): (position: ExcerptPosition) => string[] {
  const ranges = indexRanges(hints.secretRanges ?? []);
  let starts = hints.lineStarts;
  return (position) => {
    starts ??= computeLineStarts(source);
    return renderExcerpt({ source, starts, ranges, ...position });
  };
}

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

type RenderOptions = ExcerptPosition & {
  source: string;
  starts: readonly number[];
  ranges: RangeIndex;
};

/** The offending line with secrets blanked, and a caret under the column. */
function renderExcerpt(options: RenderOptions): string[] {
  const { source, line, starts } = options;
  const start = starts[line - 1];
  if (start === undefined) return [];
  const end = starts[line] ?? source.length;
  const original = source.slice(start, end).replace(/\r?\n$/, '');
  const blanked = blankSecrets({
    text: original,
    cuts: secretCuts({ text: original, start, ranges: options.ranges }),
    column: options.column,
  });
  let { text, column } = blanked;
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

/**
 * Secret values on one line: the known ranges, and (for text yaml could not parse, where no
 * ranges exist) values of credential-like keys found by pattern. Offsets within the line.
 */
function secretCuts(options: {
  text: string;
  start: number;
  ranges: RangeIndex;
}): [number, number][] {
  const { text, start } = options;
  const cuts: [number, number][] = [];
  for (const [from, to] of rangesWithin(options.ranges, start, start + text.length)) {
    cuts.push([Math.max(from, start) - start, Math.min(to, start + text.length) - start]);
  }
  for (const match of text.matchAll(secretPair)) {
    const value = match[2] ?? '';
    const from = (match.index ?? 0) + (match[1] ?? '').length;
    cuts.push([from, from + value.trimEnd().length]);
  }
  return cuts;
}

/** The line with each cut replaced by `<redacted>`, and the column moved to match. */
function blankSecrets(options: { text: string; cuts: [number, number][]; column: number }): {
  text: string;
  column: number;
} {
  // Overlapping cuts (a wide value and a narrower one inside it) merge into their union, so the
  // narrower one cannot leave the rest of the wide one showing.
  const merged: [number, number][] = [];
  for (const [a, b] of options.cuts.sort((x, y) => x[0] - y[0])) {
    // `${VAR}` shows no secret, nor does the mode word in `keys: stored`.
    if (shownAsWritten.test(options.text.slice(a, b).trim())) continue;
    const last = merged.at(-1);
    if (last !== undefined && a < last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let { text, column } = options;
  for (const [a, b] of merged.reverse()) {
    text = `${text.slice(0, a)}<redacted>${text.slice(b)}`;
    if (column - 1 >= b) column += '<redacted>'.length - (b - a);
    else if (column - 1 > a) column = a + 1;
  }
  return { text, column };
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
