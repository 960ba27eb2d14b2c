/** Reads the token of `Authorization: Bearer` headers, as gateways and providers do. */

/**
 * The token of an `Authorization: Bearer <token>` value (scheme case-insensitive), or
 * `undefined` when the header is absent, uses another scheme, or carries an empty token.
 */
export function readBearerToken(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(value.trim());
  return match?.[1];
}
