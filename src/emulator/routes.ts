/** The two APIs the emulator answers. */
export type EmulatorEndpoint = 'chat.completions' | 'embeddings';

/** A matched API route. */
export type EmulatorRoute =
  | {
      /** Cloudflare AI Gateway `/compat` route. */
      kind: 'cloudflare';
      /** The `{accountId}` path segment. */
      accountId: string;
      /** The `{gatewayId}` path segment. */
      gatewayId: string;
      /** Which API. */
      endpoint: EmulatorEndpoint;
    }
  | {
      /** Any other OpenAI-compatible route (Vercel, OpenRouter, a local server, ...). */
      kind: 'openai-compatible';
      /** Which API. */
      endpoint: EmulatorEndpoint;
    };

const cloudflarePattern = /^\/v1\/([^/]+)\/([^/]+)\/compat\/(chat\/completions|embeddings)$/;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Maps a URL path to a route: `/v1/{accountId}/{gatewayId}/compat/chat/completions` and
 * `.../compat/embeddings` are Cloudflare; any other path ending in `/chat/completions` or
 * `/embeddings` is OpenAI-compatible (`/v1/...` for Vercel, `/api/v1/...` for OpenRouter).
 */
export function matchRoute(pathname: string): EmulatorRoute | undefined {
  const cloudflare = cloudflarePattern.exec(pathname);
  if (cloudflare !== null) {
    const [, accountId = '', gatewayId = '', api] = cloudflare;
    return {
      kind: 'cloudflare',
      accountId: decodeSegment(accountId),
      gatewayId: decodeSegment(gatewayId),
      endpoint: api === 'embeddings' ? 'embeddings' : 'chat.completions',
    };
  }
  if (pathname.endsWith('/chat/completions')) {
    return { kind: 'openai-compatible', endpoint: 'chat.completions' };
  }
  if (pathname.endsWith('/embeddings')) {
    return { kind: 'openai-compatible', endpoint: 'embeddings' };
  }
  return undefined;
}
