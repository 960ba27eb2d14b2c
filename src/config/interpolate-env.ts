/**
 * `${VAR}` and `${VAR:-default}` expansion, after parsing and into string values only, so a
 * value can never change the YAML structure. No nesting, no expressions: a default is literal
 * text. `$${` writes a literal `${`.
 */
import { type Document, isPair, isScalar, visit } from 'yaml';
import type { ConfigIssue } from '../errors.ts';

/** The environment variables available to `${VAR}`. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** A config path and the text range of the value that was expanded. */
export type InterpolatedValue = {
  readonly path: readonly (string | number)[];
  readonly range: readonly [number, number];
};

/** What {@link interpolateEnv} found. */
export type InterpolateResult = {
  /** Missing variables and malformed `${…}`, one issue each (positions filled by the caller). */
  readonly issues: (Omit<ConfigIssue, 'line' | 'column'> & { readonly offset: number })[];
  /** Values that contained at least one variable. */
  readonly expanded: readonly InterpolatedValue[];
};

const token = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/**
 * Expands variables in every string scalar that is a value (never a key) of the document,
 * in place. Collects every missing variable instead of stopping at the first.
 */
export function interpolateEnv(document: Document.Parsed, env: ConfigEnv): InterpolateResult {
  const issues: InterpolateResult['issues'][number][] = [];
  const expanded: InterpolatedValue[] = [];
  visit(document, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = pathOf(ancestors, key);
      const offset = node.range?.[0] ?? 0;
      let used = false;
      const text = node.value.replace(
        token,
        (match, name: string | undefined, fallback: string | undefined) => {
          if (match === '$${') return '${';
          if (name === undefined) {
            issues.push({
              code: 'ENV_VAR_SYNTAX',
              path,
              offset,
              message:
                'malformed "${": write ${NAME} or ${NAME:-default} (NAME is letters, digits and _), or $${ for a literal "${"',
            });
            return match;
          }
          used = true;
          const value = Object.hasOwn(env, name) ? env[name] : undefined;
          if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
          if (value === undefined) {
            issues.push({
              code: 'ENV_VAR_MISSING',
              path,
              offset,
              message: `environment variable ${name} is not set; set it, or write \${${name}:-default}`,
            });
            return '';
          }
          return value;
        },
      );
      if (used) expanded.push({ path, range: [offset, node.range?.[1] ?? offset] });
      node.value = text;
    },
  });
  return { issues, expanded };
}

/** Rebuilds the config path of a scalar from the visitor's ancestors. */
function pathOf(
  ancestors: readonly unknown[],
  key: number | 'key' | 'value' | null,
): (string | number)[] {
  const path: (string | number)[] = [];
  for (let index = 1; index < ancestors.length; index += 1) {
    const node = ancestors[index];
    const parent = ancestors[index - 1];
    if (isPair(node)) {
      path.push(isScalar(node.key) ? String(node.key.value) : '?');
    } else if (
      parent !== undefined &&
      !isPair(parent) &&
      typeof parent === 'object' &&
      parent !== null &&
      'items' in parent
    ) {
      path.push((parent as { items: unknown[] }).items.indexOf(node));
    }
  }
  const last = ancestors[ancestors.length - 1];
  if (typeof key === 'number' && !isPair(last)) path.push(key);
  return path;
}
