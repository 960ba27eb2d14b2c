/**
 * CORS for `switchyard serve`: off unless the config lists origins (`serve.cors.origins`). An
 * allowed origin's answers carry `Access-Control-Allow-Origin` (and expose the route headers);
 * its preflight (`OPTIONS` with `Access-Control-Request-Method`) gets 204 with the methods and
 * headers it may use. A preflight from any other origin gets 403.
 */

/** Response headers for a request from `origin`, or undefined when it is not allowed. */
export function corsHeaders(
  origin: string | null,
  allowed: readonly string[],
): Record<string, string> | undefined {
  if (origin === null || allowed.length === 0) return undefined;
  const any = allowed.includes('*');
  if (!any && !allowed.includes(origin)) return undefined;
  return {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-expose-headers':
      'x-switchyard-upstream, x-switchyard-gateway, x-switchyard-model, x-switchyard-attempts, x-request-id',
    ...(any ? {} : { vary: 'origin' }),
  };
}

/** Options of {@link preflightHeaders}. */
export type PreflightOptions = {
  readonly request: Request;
  /** Methods of the route, e.g. `POST, OPTIONS`. */
  readonly allow: string;
  /** The CORS headers for the request's origin. */
  readonly cors: Record<string, string>;
};

/** The headers of a 204 answer to an allowed preflight. */
export function preflightHeaders({
  request,
  allow,
  cors,
}: PreflightOptions): Record<string, string> {
  const requested = request.headers.get('access-control-request-headers');
  return {
    ...cors,
    allow,
    'access-control-allow-methods': allow,
    // The SDKs send their own headers (x-stainless-*, openai-*): whatever the browser asks for.
    'access-control-allow-headers': requested ?? 'authorization, content-type',
    'access-control-max-age': '600',
    vary: 'origin, access-control-request-headers',
  };
}
