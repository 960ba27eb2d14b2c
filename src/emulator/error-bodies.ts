/**
 * The error object inside an OpenAI-shaped error body (`{"error": {...}}`), the shape OpenAI,
 * OpenRouter, Vercel and most OpenAI-compatible servers return and `openai`'s `APIError` parses.
 */
export type OpenAIErrorObject = {
  /** Human-readable explanation. */
  message: string;
  /** Error family, e.g. `invalid_request_error`, `requests`, `server_error`. */
  type: string;
  /** The request parameter at fault, or `null`. */
  param: string | null;
  /** Machine-readable code, e.g. `invalid_api_key`, `context_length_exceeded`, or `null`. */
  code: string | null;
};

/** An OpenAI-shaped error body: `{"error": {message, type, param, code}}`. */
export type OpenAIErrorBody = { error: OpenAIErrorObject };

/** Options for {@link createOpenAIErrorBody}. */
export type CreateOpenAIErrorBodyOptions = {
  /** Human-readable explanation. */
  message: string;
  /** Error family. @default 'invalid_request_error' */
  type?: string;
  /** Offending parameter. @default null */
  param?: string | null;
  /** Machine-readable code. @default null */
  code?: string | null;
};

/** Builds an OpenAI-shaped error body. */
export function createOpenAIErrorBody(options: CreateOpenAIErrorBodyOptions): OpenAIErrorBody {
  return {
    error: {
      message: options.message,
      type: options.type ?? 'invalid_request_error',
      param: options.param ?? null,
      code: options.code ?? null,
    },
  };
}

/**
 * Cloudflare's own API error envelope, used by AI Gateway for gateway-level failures such as a
 * missing or wrong `cf-aig-authorization`. It deliberately has no OpenAI `error` object: clients
 * must cope with gateway errors that do not look like provider errors.
 */
export type CloudflareErrorBody = {
  success: false;
  result: [];
  messages: [];
  error: { code: number; message: string }[];
};

/** Options for {@link createCloudflareErrorBody}. */
export type CreateCloudflareErrorBodyOptions = {
  /** Cloudflare internal error code, e.g. `2009` for an unauthorized gateway request. */
  code: number;
  /** Message, e.g. `Unauthorized`. */
  message: string;
};

/** Builds Cloudflare's `{"success":false,"result":[],"messages":[],"error":[...]}` envelope. */
export function createCloudflareErrorBody(
  options: CreateCloudflareErrorBodyOptions,
): CloudflareErrorBody {
  return {
    success: false,
    result: [],
    messages: [],
    error: [{ code: options.code, message: options.message }],
  };
}

/**
 * The 400 for a request with no provider credentials when Unified Billing is ruled out
 * (`cf-aig-no-wholesale: true`, or the gateway's "Require provider credentials" setting). The
 * status is documented
 * (https://developers.cloudflare.com/changelog/post/2026-09-14-require-provider-credentials/);
 * the body is not, so this is an inference: AI Gateway's envelope with no code, the same as the
 * inferred fixture `cloudflare-no-wholesale-400.json`.
 */
export function createNoWholesaleBody(options: { message: string }) {
  return {
    success: false as const,
    result: [] as [],
    messages: [] as [],
    error: [{ message: options.message }],
  };
}

/** Options for {@link createStatusErrorBody}. */
export type CreateStatusErrorBodyOptions = {
  /** HTTP status the body goes with. */
  status: number;
  /**
   * Error code to describe. `context_length_exceeded` and `content_filter` get the messages
   * OpenAI uses for them; any other value is passed through as `code`.
   * @default a code typical for the status (e.g. `rate_limit_exceeded` for 429)
   */
  code?: string;
  /** Overrides the default message. @default a message typical of the status or code */
  message?: string;
};

type StatusDefaults = { message: string; type: string; code: string | null };

// Typical provider answers per status, so a bare `{type:'status', status: 429}` fault looks like
// what a router meets in production and its error classifier can be tested on real shapes.
const statusDefaults: ReadonlyMap<number, StatusDefaults> = new Map([
  [400, { message: 'Bad request.', type: 'invalid_request_error', code: null }],
  [
    401,
    {
      message: 'Incorrect API key provided.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
  ],
  [
    403,
    {
      message: 'You are not allowed to access this model.',
      type: 'invalid_request_error',
      code: 'permission_denied',
    },
  ],
  [
    404,
    {
      message: 'The model does not exist or you do not have access to it.',
      type: 'invalid_request_error',
      code: 'model_not_found',
    },
  ],
  [408, { message: 'Request timed out.', type: 'timeout', code: 'timeout' }],
  [409, { message: 'Conflict.', type: 'invalid_request_error', code: 'conflict' }],
  [422, { message: 'Unprocessable entity.', type: 'invalid_request_error', code: null }],
  [
    429,
    {
      message: 'Rate limit reached for requests. Please try again later.',
      type: 'requests',
      code: 'rate_limit_exceeded',
    },
  ],
  [
    500,
    {
      message: 'The server had an error while processing your request.',
      type: 'server_error',
      code: 'server_error',
    },
  ],
  [502, { message: 'Bad gateway.', type: 'server_error', code: 'bad_gateway' }],
  [
    503,
    {
      message: 'The engine is currently overloaded, please try again later.',
      type: 'server_error',
      code: 'service_unavailable',
    },
  ],
  [504, { message: 'Gateway timeout.', type: 'server_error', code: 'gateway_timeout' }],
]);

/**
 * Builds the default OpenAI-shaped body for a `status` fault: a message, type and code typical
 * of the status, or of the requested `code` (`context_length_exceeded`, `content_filter`).
 */
export function createStatusErrorBody(options: CreateStatusErrorBodyOptions): OpenAIErrorBody {
  const { status, code } = options;
  if (code === 'context_length_exceeded') {
    return createOpenAIErrorBody({
      message:
        options.message ??
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
      param: 'messages',
      code,
    });
  }
  if (code === 'content_filter') {
    return createOpenAIErrorBody({
      message:
        options.message ??
        'The response was filtered due to the prompt triggering the content management policy. Please modify your prompt and retry.',
      param: 'prompt',
      code,
    });
  }
  const defaults = statusDefaults.get(status) ?? {
    message: `Upstream returned status ${status}.`,
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return createOpenAIErrorBody({
    message: options.message ?? defaults.message,
    type: defaults.type,
    code: code ?? defaults.code,
  });
}
