/**
 * Suggestions for misspelled names: the closest candidate within an edit distance of 2 (or a
 * third of the name's length, whichever is larger), or nothing.
 *
 * Bounded, because names and candidates come from configs and callers: candidates are indexed
 * by length once, only those whose length is within the limit are compared, at most
 * {@link maxComparisons} of them per name, each with an edit distance that stops as soon as the
 * limit is passed; names longer than {@link maxNameLength} get no suggestion. So reporting many
 * unknown names against a large config is linear in the number of names.
 */

/** Candidates compared per suggestion, at most. */
export const maxComparisons = 200;

/** Names (and candidates) longer than this get no suggestion. */
export const maxNameLength = 64;

/** Candidates indexed for repeated suggestions. */
export type NameIndex = {
  /** The closest candidate to `name`, or undefined. */
  suggest(name: string): string | undefined;
  /** Edit distances computed so far (the work done), across every `suggest` call. */
  readonly comparisons: number;
};

/** Indexes candidates by length, for many {@link NameIndex.suggest} calls over one set. */
export function createNameIndex(candidates: Iterable<string>): NameIndex {
  const byLength = new Map<number, { name: string; lower: string }[]>();
  const byLower = new Map<string, string>();
  for (const candidate of candidates) {
    if (candidate.length > maxNameLength) continue;
    if (!byLower.has(candidate.toLowerCase())) byLower.set(candidate.toLowerCase(), candidate);
    let bucket = byLength.get(candidate.length);
    if (bucket === undefined) {
      bucket = [];
      byLength.set(candidate.length, bucket);
    }
    bucket.push({ name: candidate, lower: candidate.toLowerCase() });
  }
  let comparisons = 0;
  return {
    get comparisons() {
      return comparisons;
    },
    suggest(name) {
      if (name.length > maxNameLength || byLength.size === 0) return undefined;
      const limit = Math.max(2, Math.floor(name.length / 3));
      const lower = name.toLowerCase();
      // A difference in case only is always found, whatever the cap.
      const sameLetters = byLower.get(lower);
      if (sameLetters !== undefined) return sameLetters;
      let best: string | undefined;
      let bestDistance = limit + 1;
      let compared = 0;
      // Nearest lengths first: they are the likeliest matches, and the cap cuts the far ones.
      for (let offset = 0; offset <= limit && offset < bestDistance; offset += 1) {
        for (const length of offset === 0
          ? [name.length]
          : [name.length - offset, name.length + offset]) {
          for (const candidate of byLength.get(length) ?? []) {
            if (compared >= maxComparisons) return best;
            compared += 1;
            comparisons += 1;
            const distance = boundedEditDistance(lower, candidate.lower, bestDistance - 1);
            if (distance < bestDistance) {
              best = candidate.name;
              bestDistance = distance;
              if (distance === 0) return best;
            }
          }
        }
      }
      return best;
    },
  };
}

/** The closest candidate to `name`, or undefined. For many names over one set, use {@link createNameIndex}. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  return createNameIndex(candidates).suggest(name);
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMeanHint(name: string, candidates: Iterable<string> | NameIndex): string {
  const suggestion =
    Symbol.iterator in candidates
      ? didYouMean(name, candidates as Iterable<string>)
      : (candidates as NameIndex).suggest(name);
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/** Names joined for a message, shortened after `max` entries. */
export function listNames(names: readonly string[], max = 12): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, … ${names.length - max} more` : shown;
}

// Two reused rows (names are at most maxNameLength long): no allocation per comparison.
let previousRow = new Uint16Array(maxNameLength + 1);
let currentRow = new Uint16Array(maxNameLength + 1);

/**
 * Levenshtein distance, two rows, or `limit + 1` as soon as it must exceed `limit` (every
 * cell of a row is above it).
 */
function boundedEditDistance(a: string, b: string, limit: number): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  for (let j = 0; j <= b.length; j += 1) previousRow[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    currentRow[0] = i;
    let rowMin = i;
    const charA = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previousRow[j - 1] as number) + (charA === b.charCodeAt(j - 1) ? 0 : 1);
      const deletion = (previousRow[j] as number) + 1;
      const insertion = (currentRow[j - 1] as number) + 1;
      const value = Math.min(substitution, deletion, insertion);
      currentRow[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    [previousRow, currentRow] = [currentRow, previousRow];
  }
  return previousRow[b.length] as number;
}
