/**
 * Validates a config value against the JSON Schema with the precompiled ajv validator, and turns
 * ajv's errors into config issues with plain-words messages and "did you mean" hints.
 * No code is generated at run time.
 */
import type { ConfigIssue } from '../errors.ts';
import {
  createNameIndex,
  didYouMeanHint,
  listNames,
  type NameIndex,
} from '../internal/did-you-mean.ts';
import { validate } from '../internal/validate-config.generated.ts';
import { decodePointer, deref, type SchemaNode, schemaChain, valueAt } from './schema-chain.ts';

/** The subset of an ajv error object that is used here. */
type AjvError = {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
};

type ValidateFunction = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** A schema issue before it is given a source position. */
export type SchemaIssue = Omit<ConfigIssue, 'line' | 'column'> & {
  /** Point at the key of the last path segment rather than its value. */
  readonly atKey: boolean;
};

/** Validates `data` against the config schema; returns every problem found (empty when valid). */
export function validateConfig(data: unknown): SchemaIssue[] {
  const validator = validate as unknown as ValidateFunction;
  if (validator(data)) return [];
  return translateErrors(validator.errors ?? [], data);
}

function translateErrors(errors: readonly AjvError[], data: unknown): SchemaIssue[] {
  const kept = filterAlternatives(errors, data);
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  const keysAt: KeysAt = new Map();
  for (const error of kept) {
    const translated = translateError(error, data, keysAt);
    if (translated === undefined) continue;
    const issue = error.keyword === 'enum' ? withEnumHint(translated, error, data) : translated;
    const key = `${issue.path.join('\u0000')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/** `open-router` → `(did you mean "openrouter"?)`: the nearest allowed value of an enum. */
function withEnumHint(issue: SchemaIssue, error: AjvError, data: unknown): SchemaIssue {
  let value: unknown = data;
  for (const segment of issue.path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return issue;
    value = (value as Record<string | number, unknown>)[segment];
  }
  const allowed = (error.params['allowedValues'] as unknown[]).filter(
    (candidate): candidate is string => typeof candidate === 'string',
  );
  if (typeof value !== 'string') return issue;
  const hint = didYouMeanHint(value, allowed);
  return hint === '' ? issue : { ...issue, message: `${issue.message}${hint}` };
}

/**
 * `oneOf` alternatives (a string or an object, a duration string or a number) make ajv report
 * every branch's failure. Keep the branch that matches the value's type, or replace them all
 * with the alternative's `x-expected` description.
 */
function filterAlternatives(errors: readonly AjvError[], data: unknown): AjvError[] {
  const replaced = describeAlternatives(errors, data);
  if (replaced.size === 0) return [...errors];

  // Innermost first: a bad duration inside a timeout object belongs to the duration's `oneOf`,
  // not to the timeout's. Each error looks up its own ancestors (linear in the number of errors,
  // not errors × alternatives: a config with thousands of mistakes is reported quickly).
  const isObjectAt = createObjectLookup(data);
  const { kept, withBranchErrors } = keepBranchErrors({ errors, replaced, isObjectAt });
  for (const path of [...replaced.keys()].sort((a, b) => b.length - a.length)) {
    const error = replaced.get(path) as AjvError;
    if (isObjectAt(path) && withBranchErrors.has(path)) continue;
    kept.push(error);
    // Innermost first: the alternatives around this one now hold an error of their branch.
    for (const outer of ancestorsOf(path)) withBranchErrors.add(outer);
  }
  return kept;
}

/** One `x-expected` error per value with a failed `oneOf`, keyed by its instance path. */
function describeAlternatives(errors: readonly AjvError[], data: unknown): Map<string, AjvError> {
  const replaced = new Map<string, AjvError>();
  for (const error of errors) {
    if (error.keyword !== 'oneOf') continue;
    if (replaced.has(error.instancePath)) continue;
    const chain = schemaChain(decodePointer(error.instancePath, data), data);
    // The outermost alternative describes the value best (a timeout, not its duration branch).
    const expected = chain.find(
      (node) => node['oneOf'] !== undefined && typeof node['x-expected'] === 'string',
    )?.['x-expected'];
    replaced.set(error.instancePath, {
      ...error,
      keyword: 'x-expected',
      message:
        typeof expected === 'string' ? `must be ${expected}` : 'must be one of the allowed forms',
    });
  }
  return replaced;
}

/** Whether the value at a JSON pointer is a plain object; each pointer is decoded once. */
function createObjectLookup(data: unknown): (path: string) => boolean {
  const objectAt = new Map<string, boolean>();
  return (path) => {
    let known = objectAt.get(path);
    if (known === undefined) {
      const value = valueAt(data, decodePointer(path, data));
      known = typeof value === 'object' && value !== null && !Array.isArray(value);
      objectAt.set(path, known);
    }
    return known;
  };
}

/** Keywords by which a value fails as a whole, i.e. fails an alternative's scalar branch. */
const scalarKeywords = new Set([
  'type',
  'const',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'oneOf',
  'discriminator',
]);

type KeepBranchErrorsOptions = {
  readonly errors: readonly AjvError[];
  /** The `x-expected` errors by instance path. */
  readonly replaced: ReadonlyMap<string, AjvError>;
  readonly isObjectAt: (path: string) => boolean;
};

/**
 * The errors outside any alternative, and those inside the object branch of an alternative whose
 * value is an object; with the alternatives that now hold an error of their branch.
 */
function keepBranchErrors(options: KeepBranchErrorsOptions): {
  kept: AjvError[];
  withBranchErrors: Set<string>;
} {
  const { errors, replaced, isObjectAt } = options;
  const kept: AjvError[] = [];
  const withBranchErrors = new Set<string>();
  for (const error of errors) {
    const enclosing = ancestorsOf(error.instancePath).filter((path) => replaced.has(path));
    const alternativePath = enclosing[0];
    if (alternativePath === undefined) {
      kept.push(error);
      continue;
    }
    if (!isObjectAt(alternativePath)) continue; // a scalar: one x-expected message replaces the branch errors
    // A bad key name inside the object branch (`propertyName` set) is not a scalar mismatch.
    if (
      error.instancePath === alternativePath &&
      error.propertyName === undefined &&
      scalarKeywords.has(error.keyword)
    )
      continue;
    kept.push(error);
    for (const path of enclosing) withBranchErrors.add(path);
  }
  return { kept, withBranchErrors };
}

/** A JSON pointer and each of its ancestors, innermost first (`/a/b` → `/a/b`, `/a`, ``). */
function ancestorsOf(pointer: string): string[] {
  const paths = [pointer];
  for (let end = pointer.lastIndexOf('/'); end >= 0; end = pointer.lastIndexOf('/', end - 1)) {
    paths.push(pointer.slice(0, end));
    if (end === 0) break;
  }
  return paths;
}

/**
 * The keys allowed at each place that has unknown keys, worked out once per place: a file with
 * thousands of unknown keys in one map costs one schema walk and one name index, not one each.
 */
type KeysAt = Map<string, { index: NameIndex; listed: string }>;

function allowedKeysAt(
  keysAt: KeysAt,
  instancePath: string,
  chain: readonly SchemaNode[],
): { index: NameIndex; listed: string } {
  let known = keysAt.get(instancePath);
  if (known === undefined) {
    const allowed = [
      ...new Set(
        chain.flatMap((node) => Object.keys((node['properties'] as object | undefined) ?? {})),
      ),
    ];
    known = { index: createNameIndex(allowed), listed: listNames(allowed, 20) };
    keysAt.set(instancePath, known);
  }
  return known;
}

function translateError(error: AjvError, data: unknown, keysAt: KeysAt): SchemaIssue | undefined {
  const path = decodePointer(error.instancePath, data);
  if (error.keyword === 'additionalProperties') {
    const name = String(error.params['additionalProperty']);
    const cached = keysAt.get(error.instancePath);
    const allowed = cached ?? allowedKeysAt(keysAt, error.instancePath, schemaChain(path, data));
    return {
      code: 'SCHEMA_UNKNOWN_KEY',
      path: [...path, name],
      atKey: true,
      message: `unknown key "${name}"${didYouMeanHint(name, allowed.index)}; allowed here: ${allowed.listed}`,
    };
  }
  const chain = schemaChain(path, data);
  switch (error.keyword) {
    case 'required': {
      const name = String(error.params['missingProperty']);
      return {
        code: 'SCHEMA_VIOLATION',
        path,
        atKey: true,
        message: `missing required key "${name}"`,
      };
    }
    case 'propertyNames':
      return undefined; // reported through the nested error that carries `propertyName`
    case 'discriminator': {
      if (error.params['error'] === 'tag' && error.params['tagValue'] === undefined)
        return undefined; // `required` says it
      return undefined; // the enum on `type` reports a bad value
    }
    default:
      break;
  }
  if (error.propertyName !== undefined) {
    const names = chain.map((node) => node['propertyNames']).find((node) => node !== undefined);
    const expected = names === undefined ? undefined : deref(names as SchemaNode)['x-expected'];
    return {
      code: 'SCHEMA_VIOLATION',
      path: [...path, error.propertyName],
      atKey: true,
      message: `invalid name "${truncate(error.propertyName)}": must be ${typeof expected === 'string' ? expected : describeKeyword(error)}`,
    };
  }
  return { code: 'SCHEMA_VIOLATION', path, atKey: false, message: describeError(error, chain) };
}

function describeError(error: AjvError, chain: readonly SchemaNode[]): string {
  if (error.keyword === 'pattern') {
    // The innermost description: the string branch's, not the alternative's.
    const expected = chain.findLast((node) => typeof node['x-expected'] === 'string')?.[
      'x-expected'
    ];
    if (typeof expected === 'string') return `must be ${expected}`;
  }
  return describeKeyword(error);
}

function describeKeyword(error: AjvError): string {
  const params = error.params;
  switch (error.keyword) {
    case 'x-expected':
      return error.message ?? 'has an invalid value';
    case 'type':
      return `must be ${article(String(params['type']).replace(/,/g, ' or '))}`;
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}`;
    case 'enum':
      return `must be one of: ${(params['allowedValues'] as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'minLength':
      return params['limit'] === 1
        ? 'must not be empty'
        : `must be at least ${params['limit']} characters long`;
    case 'maxLength':
      return `must be at most ${params['limit']} characters long`;
    case 'minItems':
      return `must list at least ${params['limit']} item${params['limit'] === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must list at most ${params['limit']} items`;
    case 'minProperties':
      return `must have at least ${params['limit']} entr${params['limit'] === 1 ? 'y' : 'ies'}`;
    case 'maxProperties':
      return `must have at most ${params['limit']} entries`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${params['comparison']} ${params['limit']}`;
    case 'pattern':
      return 'has an invalid format';
    default:
      return error.message ?? 'is invalid';
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
