import type { Options } from 'ajv';

/**
 * ajv options for the config validator. `allErrors` reports every problem in one pass; it is
 * safe here because every string, array and map in the schema is bounded and `$data` is off.
 * `verbose: false` keeps data values (possibly secrets) out of ajv's error objects.
 */
export function createAjvOptions(): Options {
  return {
    allErrors: true,
    verbose: false,
    discriminator: true,
    strict: true,
    allowUnionTypes: true,
    $data: false,
  };
}
