/**
 * `createSwitchyard(router)`: an AI SDK provider whose models are the router's aliases.
 *
 * ```ts
 * const switchyard = createSwitchyard(createRouter(loadConfig()));
 * await generateText({ model: switchyard('fast'), prompt: 'Hello' });
 * await embed({ model: switchyard.embeddingModel('embed'), value: 'text' });
 * ```
 */

import type { EmbeddingModelV4, LanguageModelV4 } from '@ai-sdk/provider';
import { NoSuchModelError, type ProviderV4 } from '@ai-sdk/provider';
import { isRouterError } from '../errors.ts';
import type { Router } from '../router/types.ts';
import { createEmbeddingModel } from './embedding-model.ts';
import { createLanguageModel } from './language-model.ts';

/** Options of {@link createSwitchyard}. */
export type SwitchyardProviderOptions = {
  /**
   * The provider id the AI SDK reports (in telemetry and errors).
   * @default 'switchyard'
   */
  name?: string;
  /**
   * Most values per embeddings request; `embedMany` splits larger lists.
   * @default 2048
   */
  maxEmbeddingsPerCall?: number;
};

/** The provider: call it with an alias for a language model. */
export type SwitchyardProvider = ProviderV4 & {
  /** The language model for an alias (or `<gateway>:<model>`). */
  (model: string): LanguageModelV4;
  /** Same as calling the provider. */
  languageModel(model: string): LanguageModelV4;
  /** Same as calling the provider. */
  chat(model: string): LanguageModelV4;
  /** The embedding model for an alias. */
  embeddingModel(model: string): EmbeddingModelV4;
  /** Same as `embeddingModel` (the AI SDK's older name). */
  textEmbeddingModel(model: string): EmbeddingModelV4;
};

/**
 * Creates the provider. A name the router does not know throws `NoSuchModelError` when the
 * model is created, listing the aliases.
 */
export function createSwitchyard(
  router: Router,
  options: SwitchyardProviderOptions = {},
): SwitchyardProvider {
  const name = options.name ?? 'switchyard';
  const check = (model: string, modelType: 'languageModel' | 'embeddingModel') => {
    try {
      router.resolve(model);
    } catch (error) {
      if (isRouterError(error) && error.code === 'UNKNOWN_ALIAS') {
        throw new NoSuchModelError({ modelId: model, modelType, message: error.message });
      }
      throw error;
    }
  };
  const languageModel = (model: string) => {
    check(model, 'languageModel');
    return createLanguageModel({ router, model, provider: `${name}.chat` });
  };
  const embeddingModel = (model: string) => {
    check(model, 'embeddingModel');
    return createEmbeddingModel({
      router,
      model,
      provider: `${name}.embedding`,
      ...(options.maxEmbeddingsPerCall === undefined
        ? {}
        : { maxEmbeddingsPerCall: options.maxEmbeddingsPerCall }),
    });
  };
  const provider = (model: string) => languageModel(model);
  return Object.assign(provider, {
    specificationVersion: 'v4' as const,
    languageModel,
    chat: languageModel,
    embeddingModel,
    textEmbeddingModel: embeddingModel,
    imageModel(model: string): never {
      throw new NoSuchModelError({
        modelId: model,
        modelType: 'imageModel',
        message: `switchyard routes chat and embeddings only; "${model}" cannot be an image model.`,
      });
    },
  });
}
