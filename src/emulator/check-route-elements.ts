/**
 * The structural checks the emulated routes API makes on a route's `elements` before storing a
 * version, and its validation error envelope (code 7001 with the path of the problem). Only what
 * running a route needs is checked, so a malformed route fails when it is written, not when a
 * request runs it.
 */
import type { StoredElement } from './dynamic-routes.ts';
import { isRecord } from './is-record.ts';

/** Where a problem is, in the request body: `['elements', 1, 'properties', 'retries']`. */
export type ElementPath = (string | number)[];

/** The outcome of {@link checkRouteElements}. */
export type ElementsCheck =
  | { ok: true; value: StoredElement[] }
  | { ok: false; path: ElementPath; message: string };

const elementTypes: ReadonlySet<string> = new Set([
  'start',
  'conditional',
  'percentage',
  'rate',
  'model',
  'end',
]);

const modelFields = [
  ['provider', 'string'],
  ['model', 'string'],
  ['retries', 'number'],
  ['timeout', 'number'],
] as const;

/**
 * The routes API's validation failure, pointing at the offending field the way the published
 * error type does: `ResponseInfo` (`code`, `message`, `documentation_url`, `source.pointer`) in
 * `src/resources/shared.ts` of https://github.com/cloudflare/cloudflare-typescript. The code,
 * 7001, is the emulator's own: no public source gives the code Cloudflare uses here.
 */
export function createValidationErrorBody(options: { path: ElementPath; message: string }) {
  const pointer = options.path
    .map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
  return {
    success: false,
    errors: [{ code: 7001, message: options.message, source: { pointer } }],
    messages: [],
    result: null,
  };
}

/**
 * Checks a route's `elements`: a non-empty list of elements with ids and known types, outputs
 * that name existing elements, exactly one `start`, and `model` elements with provider, model,
 * retries and timeout. Returns the first problem found.
 */
export function checkRouteElements(value: unknown): ElementsCheck {
  if (!Array.isArray(value) || value.length === 0) {
    return { ok: false, path: ['elements'], message: 'Required' };
  }
  const ids = new Set<string>();
  for (const [index, element] of value.entries()) {
    if (!isRecord(element) || typeof element['id'] !== 'string') return invalidElement(index);
    if (!elementTypes.has(String(element['type']))) return invalidElement(index);
    ids.add(element['id']);
  }
  const elements = value as StoredElement[];
  for (const [index, element] of elements.entries()) {
    const problem = checkOutputs({ element, index, ids }) ?? checkModelFields({ element, index });
    if (problem !== undefined) return problem;
  }
  if (elements.filter((element) => element.type === 'start').length !== 1) {
    return { ok: false, path: ['elements'], message: 'a route has exactly one start element' };
  }
  return { ok: true, value: elements };
}

function invalidElement(index: number): ElementsCheck {
  return { ok: false, path: ['elements', index], message: 'Invalid element' };
}

type ElementCheckOptions = { element: StoredElement; index: number };

function checkOutputs(
  options: ElementCheckOptions & { ids: ReadonlySet<string> },
): ElementsCheck | undefined {
  const { element, index } = options;
  if (!isRecord(element.outputs)) {
    return { ok: false, path: ['elements', index, 'outputs'], message: 'Required' };
  }
  for (const [name, output] of Object.entries(element.outputs)) {
    const target = isRecord(output) ? output['elementId'] : undefined;
    if (typeof target === 'string' && options.ids.has(target)) continue;
    return {
      ok: false,
      path: ['elements', index, 'outputs', name],
      message: 'must name an element of the route',
    };
  }
  return undefined;
}

function checkModelFields(options: ElementCheckOptions): ElementsCheck | undefined {
  const { element, index } = options;
  if (element.type !== 'model') return undefined;
  const properties = element.properties ?? {};
  for (const [field, type] of modelFields) {
    if (typeof properties[field] === type) continue;
    return {
      ok: false,
      path: ['elements', index, 'properties', field],
      message: `Expected ${type}`,
    };
  }
  return undefined;
}
