/**
 * How each real gateway fails on the wire, so the emulator imitates them rather than one idea of
 * a gateway. A route's personality decides the shape of its error bodies (OpenRouter's numeric
 * `code` and `metadata`, Vercel's `type`, Cloudflare's gateway envelope for its own numeric
 * codes), its mid-stream error chunk, and the SSE comment it sends while a request is processing.
 *
 * Sources: OpenRouter https://openrouter.ai/docs/api-reference/errors and
 * https://openrouter.ai/docs/api-reference/streaming; Vercel
 * https://github.com/vercel/ai/blob/main/packages/gateway/src/errors/create-gateway-error.ts and
 * https://github.com/vercel/ai/issues/18303; Cloudflare
 * https://developers.cloudflare.com/ai-gateway/features/rate-limiting/ and
 * https://github.com/cloudflare/ai/blob/main/packages/ai-gateway-provider/test/errors.test.ts.
 */
import { createStatusErrorBody } from './error-bodies.ts';

/** The gateways the emulator can imitate. */
export type Personality = 'cloudflare' | 'openrouter' | 'vercel' | 'openai';

/**
 * Path prefixes of OpenAI-compatible routes that imitate a gateway: OpenRouter's real paths live
 * under `/api/v1/`; Vercel's real `/v1/` is shared with plain OpenAI-compatible servers, so the
 * emulator serves Vercel's personality under `/vercel/` (set `baseURL: <emulator>/vercel/v1`).
 */
export const defaultPersonalityPaths: Readonly<Record<string, Personality>> = Object.freeze({
  '/api/v1/': 'openrouter',
  '/vercel/': 'vercel',
});

/** The personality of a request: Cloudflare's compat routes, else by path prefix, else OpenAI's. */
export function personalityOf(options: {
  kind: string;
  path: string;
  paths: Readonly<Record<string, Personality>> | undefined;
}): Personality {
  if (options.kind === 'cloudflare') return 'cloudflare';
  for (const [prefix, personality] of Object.entries(options.paths ?? defaultPersonalityPaths)) {
    if (options.path.startsWith(prefix)) return personality;
  }
  return 'openai';
}

const vercelTypes: ReadonlyMap<number, string> = new Map([
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'insufficient_funds'],
  // One of Vercel's own types for a 403 (its FAQ's free-tier refusal; fixture
  // vercel-free-tier-model-403.json); `permission_error` is not one of Vercel's.
  [403, 'no_providers_available'],
  [404, 'model_not_found'],
  [429, 'rate_limit_exceeded'],
]);

/**
 * The error body a gateway sends with a status. `code` is the error code to describe: a string
 * (OpenAI-style, e.g. `context_length_exceeded`) or, on Cloudflare, a gateway code such as
 * 2003, which gets Cloudflare's `AiGatewayError` envelope.
 */
export function personalityErrorBody(options: {
  personality: Personality;
  /** The HTTP status the body goes with. */
  status: number;
  /** The error code to describe. @default a code typical of the status */
  code?: string | number;
  /** Overrides the default message. @default a message typical of the status or code */
  message?: string;
}): unknown {
  const { personality, status, code } = options;
  const openai = createStatusErrorBody({
    status,
    ...(typeof code === 'string' ? { code } : {}),
    ...(options.message === undefined ? {} : { message: options.message }),
  });
  switch (personality) {
    case 'cloudflare': {
      if (typeof code !== 'number') return openai; // the provider's own body, relayed
      const message = options.message ?? cloudflareMessages.get(code) ?? 'Gateway error';
      return {
        success: false,
        result: [],
        messages: [],
        error: [{ code, message }],
        name: 'AiGatewayError',
        httpCode: status,
        internalCode: code,
        message,
      };
    }
    case 'openrouter':
      return {
        error: {
          code: typeof code === 'number' ? code : status,
          message: options.message ?? openai.error.message,
          metadata: {
            provider_name: null,
            ...(typeof code === 'string' ? { error_type: code } : {}),
          },
        },
        user_id: 'user_emulated',
      };
    case 'vercel':
      return {
        error: {
          message: options.message ?? openai.error.message,
          type:
            typeof code === 'string'
              ? code
              : (vercelTypes.get(status) ??
                (status >= 500 ? 'internal_server_error' : 'invalid_request_error')),
        },
      };
    default:
      return openai;
  }
}

/**
 * Messages for the AI Gateway codes a fault may name. Sources, as for the fixtures in
 * test/fixtures/gateway-errors: 2003 (rate limiting page), 2009 (changelog 2026-10-05), 2016
 * (guardrails page) are documented; 2005 and 2008 were observed in a bug report
 * (https://github.com/devoxx/DevoxxGenieIDEAPlugin/issues/1254); 2001, 2021 and 2041 are
 * inferred (no public page states them; see the fixtures in `inferred/` for the reasoning).
 */
const cloudflareMessages: ReadonlyMap<number, string> = new Map([
  [2001, 'Please configure AI Gateway in the Cloudflare dashboard'],
  [2003, 'Rate limited'],
  [2005, 'Failed to get response from provider'],
  [2008, 'Invalid provider'],
  [2009, 'Unauthorized'],
  [2016, 'Prompt blocked due to security configurations'],
  [2021, 'Insufficient balance; add money to your gateway or use BYOK'],
  [2041, 'Spend limit exceeded'],
]);

/**
 * The chunk a gateway sends when the provider fails mid-stream (the stream then ends):
 * OpenRouter's has the error and a choice that finished with `"error"`; Vercel's has a string
 * code and the provider's error as a JSON string; OpenAI-style servers send `{"error": {...}}`.
 */
export function personalityStreamError(options: {
  personality: Personality;
  /** The fields every chunk of this stream carries (`id`, `object`, `created`, `model`). */
  base: Record<string, unknown>;
  message: string;
  code: string;
}): unknown {
  const { personality, base, message, code } = options;
  switch (personality) {
    case 'openrouter':
      // The current shape: a numeric code and the kind in `metadata.error_type`
      // (https://openrouter.ai/docs/api/reference/errors-and-debugging), not the older string code.
      return {
        ...base,
        provider: 'Emulated',
        error: {
          code: openRouterStreamCodes.get(code) ?? 502,
          message,
          metadata: { error_type: code },
        },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      };
    case 'vercel':
      return {
        ...base,
        error: {
          code: 'error',
          message: 'Stream error occurred',
          value: {
            error_type: code,
            error_message: JSON.stringify({ error: { message, code } }),
          },
        },
      };
    default:
      return { error: { message, type: 'server_error', param: null, code } };
  }
}

/** OpenRouter's numeric code for a mid-stream error kind; anything else is 502 (the model failed). */
const openRouterStreamCodes: ReadonlyMap<string, number> = new Map([
  ['context_length_exceeded', 400],
  ['rate_limit_exceeded', 429],
  ['content_filter', 403],
]);

/** The SSE comment a gateway sends while the request is processing. */
export function processingComment(personality: Personality): string {
  return personality === 'openrouter' ? ': OPENROUTER PROCESSING\n\n' : ': keep-alive\n\n';
}
