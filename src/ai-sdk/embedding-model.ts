/**
 * An alias as an AI SDK embedding model (specification v4): `embed` / `embedMany` go through
 * `router.embeddings.create`, with the alias's fallback chain and the route as provider metadata.
 */
import type { EmbeddingModelV4, EmbeddingModelV4Result } from '@ai-sdk/provider';
import type OpenAI from 'openai';
import type { Router } from '../router/types.ts';
import { headersRecord, routeMetadata } from './convert-response.ts';
import { toAISDKError } from './map-error.ts';

/** Options of {@link createEmbeddingModel}. */
export type CreateEmbeddingModelOptions = {
  router: Router;
  /** The alias (or `<gateway>:<model>`). */
  model: string;
  /** Provider id reported to the AI SDK. */
  provider: string;
  /**
   * Most values sent in one request; `embedMany` splits larger lists.
   * @default 2048 (OpenAI's limit per request)
   */
  maxEmbeddingsPerCall?: number;
};

/** Builds the model. No I/O. */
export function createEmbeddingModel(options: CreateEmbeddingModelOptions): EmbeddingModelV4 {
  const { router, model } = options;
  return {
    specificationVersion: 'v4',
    provider: options.provider,
    modelId: model,
    maxEmbeddingsPerCall: options.maxEmbeddingsPerCall ?? 2048,
    supportsParallelCalls: true,
    async doEmbed(call): Promise<EmbeddingModelV4Result> {
      const params: OpenAI.EmbeddingCreateParams = {
        model,
        input: call.values,
        encoding_format: 'float',
        ...(call.dimensions === undefined ? {} : { dimensions: call.dimensions }),
      };
      try {
        const { data, response, route } = await router.embeddings
          .create(params, {
            ...(call.abortSignal === undefined ? {} : { signal: call.abortSignal }),
            ...(call.headers === undefined ? {} : { headers: call.headers }),
          })
          .withResponse();
        const ordered = [...data.data].sort((a, b) => a.index - b.index);
        return {
          embeddings: ordered.map((item) => item.embedding),
          ...(data.usage === undefined ? {} : { usage: { tokens: data.usage.prompt_tokens } }),
          providerMetadata: routeMetadata(route),
          response: { headers: headersRecord(response.headers), body: data },
          warnings: [],
        };
      } catch (error) {
        throw toAISDKError(error, { model, requestBody: params, signal: call.abortSignal });
      }
    },
  };
}
