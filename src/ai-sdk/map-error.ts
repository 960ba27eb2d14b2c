/**
 * Router errors as the AI SDK's error types. Every one is marked `isRetryable: false`: the
 * router already retried and fell back, and a second retry layer (the AI SDK's `maxRetries`)
 * would multiply the requests sent. The router's error stays the `cause`, with its attempt log.
 */
import { APICallError, NoSuchModelError } from '@ai-sdk/provider';
import { isRouterError } from '../errors.ts';

/** Options of {@link toAISDKError}. */
export type ToAISDKErrorOptions = {
  /** The alias called. */
  model: string;
  /** What was asked, for `requestBodyValues`. */
  requestBody: unknown;
  /** The caller's signal: an abort is passed on as the abort it is. */
  signal?: AbortSignal | undefined;
};

/** Maps an error thrown by the router; anything that is not a router error is returned as is. */
export function toAISDKError(error: unknown, options: ToAISDKErrorOptions): unknown {
  if (!isRouterError(error)) return error;
  if (error.code === 'ABORTED' && options.signal?.aborted === true) {
    // The AI SDK recognises an abort by the signal's reason (an AbortError).
    return options.signal.reason ?? error;
  }
  if (error.code === 'UNKNOWN_ALIAS') {
    return new NoSuchModelError({
      modelId: options.model,
      modelType: 'languageModel',
      message: error.message,
    });
  }
  const status = (error as { status?: unknown }).status;
  const attempts = (error as { attempts?: unknown }).attempts;
  return new APICallError({
    message: error.message,
    url: `switchyard:${options.model}`,
    requestBodyValues: options.requestBody,
    ...(typeof status === 'number' ? { statusCode: status } : {}),
    isRetryable: false,
    cause: error,
    data: {
      code: error.code,
      ...(Array.isArray(attempts) ? { attempts } : {}),
    },
  });
}
