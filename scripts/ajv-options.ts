import type { Options } from 'ajv';

/**
 * ajv options for the config validator. `allErrors` reports every problem in one pass; it is
 * safe here because every string, array and map in the schema is bounded and `$data` is off.
 * `verbose: false` keeps data values (possibly secrets) out of ajv's error objects.
 *
 * Two options keep the standalone validator small (it ships in the core bundle):
 * - `inlineRefs: false`: each `$ref`'d definition becomes one function called from every place
 *   that refers to it, instead of a copy of its code at each of them (`name`, `duration` and
 *   `header-value` are referred to dozens of times);
 * - `messages: false`: ajv's English messages are left out of the error objects;
 *   `src/config/validate-config.ts` words every error from its keyword and params and never
 *   reads them.
 */
export function createAjvOptions(): Options {
  return {
    allErrors: true,
    verbose: false,
    discriminator: true,
    strict: true,
    allowUnionTypes: true,
    $data: false,
    inlineRefs: false,
    messages: false,
  };
}
