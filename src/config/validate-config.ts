/**
 * Validates a config value against the JSON Schema with the precompiled ajv validator, and turns
 * ajv's errors into config issues with plain-words messages and "did you mean" hints.
 * No code is generated at run time.
 */
import type { ConfigIssue } from '../errors.ts';
import { configSchema } from '../internal/config-schema.generated.ts';
import { didYouMeanHint, listNames } from '../internal/did-you-mean.ts';
import { validate } from '../internal/validate-config.generated.ts';

/** The subset of an ajv error object that is used here. */
type AjvError = {
  instancePath: string;
  schemaPath: string;
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
  for (const error of kept) {
    const translated = translateError(error, data);
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
  if (replaced.size === 0) return [...errors];

  // Innermost first: a bad duration inside a timeout object belongs to the duration's `oneOf`,
  // not to the timeout's. Each error looks up its own ancestors (linear in the number of errors,
  // not errors × alternatives: a config with thousands of mistakes is reported quickly).
  const result: AjvError[] = [];
  const withBranchErrors = new Set<string>();
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
  const objectAt = new Map<string, boolean>();
  const isObjectAt = (path: string): boolean => {
    let known = objectAt.get(path);
    if (known === undefined) {
      const value = valueAt(data, decodePointer(path, data));
      known = typeof value === 'object' && value !== null && !Array.isArray(value);
      objectAt.set(path, known);
    }
    return known;
  };
  for (const error of errors) {
    const enclosing = ancestorsOf(error.instancePath).filter((path) => replaced.has(path));
    const alternativePath = enclosing[0];
    if (alternativePath === undefined) {
      result.push(error);
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
    result.push(error);
    for (const path of enclosing) withBranchErrors.add(path);
  }
  for (const path of [...replaced.keys()].sort((a, b) => b.length - a.length)) {
    const error = replaced.get(path) as AjvError;
    if (isObjectAt(path) && withBranchErrors.has(path)) continue;
    result.push(error);
    // Innermost first: the alternatives around this one now hold an error of their branch.
    for (const outer of ancestorsOf(path)) withBranchErrors.add(outer);
  }
  return result;
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

function translateError(error: AjvError, data: unknown): SchemaIssue | undefined {
  const path = decodePointer(error.instancePath, data);
  const chain = schemaChain(path, data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params['additionalProperty']);
      const allowed = [
        ...new Set(
          chain.flatMap((node) => Object.keys((node['properties'] as object | undefined) ?? {})),
        ),
      ];
      return {
        code: 'SCHEMA_UNKNOWN_KEY',
        path: [...path, name],
        atKey: true,
        message: `unknown key "${name}"${didYouMeanHint(name, allowed)}; allowed here: ${listNames(allowed, 20)}`,
      };
    }
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

/** Decodes a JSON pointer into path segments; array indexes become numbers. */
function decodePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const segments: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(segment);
      segments.push(index);
      current = current[index];
    } else {
      segments.push(segment);
      current =
        typeof current === 'object' && current !== null && Object.hasOwn(current, segment)
          ? (current as Record<string, unknown>)[segment]
          : undefined;
    }
  }
  return segments;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment))
      return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

type SchemaNode = Readonly<Record<string, unknown>>;

/** Follows a local `$ref` (`#/definitions/...`, possibly several segments deep). */
function deref(node: SchemaNode): SchemaNode {
  let current = node;
  for (let hops = 0; hops < 8 && typeof current['$ref'] === 'string'; hops += 1) {
    let target: unknown = configSchema;
    for (const segment of (current['$ref'] as string).replace(/^#\//, '').split('/')) {
      target = (target as Record<string, unknown> | undefined)?.[segment];
    }
    if (typeof target !== 'object' || target === null) break;
    current = target as SchemaNode;
  }
  return current;
}

/**
 * The schema nodes that apply at an instance path, outermost first: each node with its `$ref`
 * followed and, for `oneOf`, the branch that fits the data. ajv's own `schemaPath` is relative to
 * whichever sub-validator reported it, so it cannot be used to find the node.
 */
function schemaChain(path: readonly (string | number)[], data: unknown): SchemaNode[] {
  let value = data;
  let chain = expand(configSchema, value);
  for (const segment of path) {
    let child: unknown;
    for (const node of [...chain].reverse()) {
      const properties = node['properties'] as Record<string, unknown> | undefined;
      if (
        typeof segment === 'string' &&
        properties !== undefined &&
        Object.hasOwn(properties, segment)
      ) {
        child = properties[segment];
      } else if (typeof segment === 'number' && typeof node['items'] === 'object') {
        child = node['items'];
      } else if (typeof segment === 'string' && typeof node['additionalProperties'] === 'object') {
        child = node['additionalProperties'];
      }
      if (child !== undefined) break;
    }
    if (child === undefined) return [];
    value = valueAt(value, [segment]);
    chain = expand(child as SchemaNode, value);
  }
  return chain;
}

function expand(node: SchemaNode, value: unknown): SchemaNode[] {
  const resolved = deref(node);
  const chain = [resolved];
  const branches = resolved['oneOf'];
  if (Array.isArray(branches)) {
    const branch = (branches as SchemaNode[])
      .map(deref)
      .find((candidate) => fits(candidate, value));
    if (branch !== undefined) chain.push(...expand(branch, value));
  }
  return chain;
}

/** Whether a oneOf branch is the one meant for this value (by const, discriminator or type). */
function fits(node: SchemaNode, value: unknown): boolean {
  if (node['const'] !== undefined) return node['const'] === value;
  const tag = (node['properties'] as Record<string, SchemaNode> | undefined)?.['type']?.['const'];
  if (tag !== undefined)
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<string, unknown>)['type'] === tag
    );
  const type = node['type'];
  if (typeof type === 'string') return jsonType(value, type);
  if (Array.isArray(node['oneOf']))
    return (node['oneOf'] as SchemaNode[]).some((branch) => fits(deref(branch), value));
  return true;
}

function jsonType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}
