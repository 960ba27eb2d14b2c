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

/** A variable that is not set, met where a placeholder was allowed. */
export type MissingEnvVar = {
  readonly name: string;
  readonly path: readonly (string | number)[];
  readonly offset: number;
};

/** What {@link interpolateEnv} found. */
export type InterpolateResult = {
  /** Missing variables and malformed `${…}`, one issue each (positions filled by the caller). */
  readonly issues: (Omit<ConfigIssue, 'line' | 'column'> & { readonly offset: number })[];
  /** Values that contained at least one variable. */
  readonly expanded: readonly InterpolatedValue[];
  /** Missing variables replaced by placeholders (only with the `placeholders` option). */
  readonly missing: readonly MissingEnvVar[];
};

/** Options of {@link interpolateEnv}. */
export type InterpolateOptions = {
  /**
   * Give a missing variable a placeholder of the right shape instead of reporting it, so the
   * rest of the config can still be checked. @default false
   */
  placeholders?: boolean;
};

/** Keys whose values are credentials: a missing one gets no `${NAME:-default}` hint. */
const credentialKey = /key|token|secret|passw|auth|credential|bearer|^headers$/i;
const durationKeys = new Set([
  'timeout',
  'total',
  'attempt',
  'firstToken',
  'idle',
  'initialDelay',
  'maxDelay',
  'requestTimeout',
  'retryDelay',
]);

/**
 * A stand-in for a missing variable that passes the checks on its field: a URL (`redis://` for
 * `health.url`), a duration, `memory` for `health.store`, or a plain token (valid as an id, a
 * name or a credential) — used by `--allow-missing-env`.
 */
function placeholderFor(options: {
  name: string;
  path: readonly (string | number)[];
  whole: boolean;
}): string {
  const token = `missing-env-${options.name.toLowerCase().replace(/_/g, '-')}`;
  if (!options.whole) return token;
  const key = String(options.path.at(-1) ?? '');
  // health.url is a Redis URL; every other *url/*URL field is an http(s) URL.
  if (options.path[0] === 'health' && key === 'url') return `redis://${token}.invalid:6379`;
  if (options.path[0] === 'health' && key === 'store') return 'memory';
  if (/url$/i.test(key)) return `http://${token}.invalid`;
  if (key === 'cacheTtl') return '60s';
  if (durationKeys.has(key)) return '1s';
  return token;
}

/** The fix to suggest for a missing variable: credentials take no default. */
function missingHint(name: string, path: readonly (string | number)[]): string {
  const credential = path.some(
    (segment) => typeof segment === 'string' && credentialKey.test(segment),
  );
  return credential
    ? `environment variable ${name} is not set; set it (in the environment or an env file): a credential takes no default`
    : `environment variable ${name} is not set; set it, or write \${${name}:-default}`;
}

const token = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/**
 * Expands variables in every string scalar that is a value (never a key) of the document,
 * in place. Collects every missing variable instead of stopping at the first.
 */
export function interpolateEnv(
  document: Document.Parsed,
  env: ConfigEnv,
  options: InterpolateOptions = {},
): InterpolateResult {
  const issues: InterpolateResult['issues'][number][] = [];
  const expanded: InterpolatedValue[] = [];
  const missing: MissingEnvVar[] = [];
  visit(document, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = pathOf(ancestors, key);
      const offset = node.range?.[0] ?? 0;
      let used = false;
      const original = node.value;
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
            if (options.placeholders === true) {
              missing.push({ name, path, offset });
              return placeholderFor({ name, path, whole: match === original });
            }
            issues.push({
              code: 'ENV_VAR_MISSING',
              path,
              offset,
              message: missingHint(name, path),
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
  return { issues, expanded, missing };
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
