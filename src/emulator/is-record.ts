/**
 * The one type guard every parser in the emulator starts from: request bodies, fault rules and
 * route elements arrive as untyped JSON.
 */

/** Whether a parsed JSON value is an object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
