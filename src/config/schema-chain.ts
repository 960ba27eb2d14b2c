/**
 * Finding the JSON Schema nodes that apply at a place in the config: a JSON pointer decoded
 * against the data, `$ref`s followed, and of each `oneOf` the branch meant for the value there.
 * Used to word schema errors, since ajv's own `schemaPath` is relative to whichever
 * sub-validator reported an error.
 */
import { runtimeConfigSchema as configSchema } from '../internal/config-schema-runtime.generated.ts';

/** Decodes a JSON pointer into path segments; array indexes become numbers. */
export function decodePointer(pointer: string, data: unknown): (string | number)[] {
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

/** The value at `path` in `data` (own properties only), or undefined. */
export function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment))
      return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** A node of the config's JSON Schema. */
export type SchemaNode = Readonly<Record<string, unknown>>;

/** Follows a local `$ref` (`#/definitions/...`, possibly several segments deep). */
export function deref(node: SchemaNode): SchemaNode {
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
export function schemaChain(path: readonly (string | number)[], data: unknown): SchemaNode[] {
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
