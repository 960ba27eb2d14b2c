/**
 * An alias as an AI SDK language model (specification v4, the one `ai` 7 consumes): every
 * `generateText` / `streamText` call goes through `router.chat.completions.create`, so the
 * alias's fallback chain, retries, deadline and health memory apply, and the route comes back
 * as `providerMetadata.switchyard`.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  SharedV4ProviderMetadata,
  SharedV4Warning,
} from '@ai-sdk/provider';
import type OpenAI from 'openai';
import type { Router, RouterRequestOptions } from '../router/types.ts';
import { convertCallOptions } from './convert-prompt.ts';
import {
  headersRecord,
  mapFinishReason,
  mapUsage,
  messageContent,
  type OpenAIUsage,
  routeMetadata,
} from './convert-response.ts';
import { toAISDKError } from './map-error.ts';
import { acceptChunk, createStreamState, finishStream, type StreamState } from './stream-parts.ts';

/** Options of {@link createLanguageModel}. */
export type CreateLanguageModelOptions = {
  router: Router;
  /** The alias (or `<gateway>:<model>`). */
  model: string;
  /** Provider id reported to the AI SDK. */
  provider: string;
};

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type RoutedResponse = Awaited<
  ReturnType<ReturnType<Router['chat']['completions']['create']>['withResponse']>
>;

/** Builds the model. No I/O. */
export function createLanguageModel(options: CreateLanguageModelOptions): LanguageModelV4 {
  return {
    specificationVersion: 'v4',
    provider: options.provider,
    modelId: options.model,
    // OpenAI's chat API takes image URLs as they are.
    supportedUrls: { 'image/*': [/^https?:\/\/.*$/] },
    doGenerate: (call) => generate(options, call),
    doStream: (call) => stream(options, call),
  };
}

/** The router's request options for an AI SDK call: its abort signal and its set headers. */
export function requestOptionsFor(call: LanguageModelV4CallOptions): RouterRequestOptions {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.headers ?? {}))
    if (value !== undefined) headers[name] = value;
  return {
    ...(call.abortSignal === undefined ? {} : { signal: call.abortSignal }),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  };
}

/** Sends a request through the router; a failure becomes the AI SDK's error. */
async function send(
  options: CreateLanguageModelOptions,
  call: LanguageModelV4CallOptions,
  params: OpenAI.Chat.ChatCompletionCreateParams,
): Promise<RoutedResponse> {
  try {
    return await options.router.chat.completions
      .create(params, requestOptionsFor(call))
      .withResponse();
  } catch (error) {
    throw toAISDKError(error, {
      model: options.model,
      requestBody: params,
      signal: call.abortSignal,
    });
  }
}

async function generate(
  options: CreateLanguageModelOptions,
  call: LanguageModelV4CallOptions,
): Promise<LanguageModelV4GenerateResult> {
  const { body, warnings } = convertCallOptions(call);
  const params = {
    ...body,
    model: options.model,
    stream: false,
  } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
  const result = await send(options, call, params);
  const completion = result.data as OpenAI.Chat.ChatCompletion;
  const choice = completion.choices[0];
  return {
    content: messageContent(choice?.message),
    finishReason: mapFinishReason(choice?.finish_reason),
    usage: mapUsage(completion.usage as OpenAIUsage | undefined),
    providerMetadata: routeMetadata(result.route),
    request: { body: params },
    response: {
      id: completion.id,
      modelId: completion.model,
      timestamp: new Date(completion.created * 1000),
      headers: headersRecord(result.response.headers),
      body: completion,
    },
    warnings,
  };
}

async function stream(
  options: CreateLanguageModelOptions,
  call: LanguageModelV4CallOptions,
): Promise<LanguageModelV4StreamResult> {
  const { body, warnings } = convertCallOptions(call);
  const params = {
    ...body,
    model: options.model,
    stream: true,
    stream_options: { include_usage: true },
  } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
  const opened = await send(options, call, params);
  const source: PartSource = {
    iterator: (opened.data as AsyncIterable<Chunk>)[Symbol.asyncIterator](),
    state: createStreamState(),
    metadata: routeMetadata(opened.route),
    warnings,
    toError: (error) =>
      toAISDKError(error, { model: options.model, requestBody: params, signal: call.abortSignal }),
    started: false,
    done: false,
  };
  return {
    stream: new ReadableStream<LanguageModelV4StreamPart>({
      pull: (controller) => pullParts(source, controller),
      cancel: async () => {
        source.done = true;
        await source.iterator.return?.();
      },
    }),
    request: { body: params },
    response: { headers: headersRecord(opened.response.headers) },
  };
}

/** Where a stream's parts come from, and how far it has gone. */
type PartSource = {
  readonly iterator: AsyncIterator<Chunk>;
  readonly state: StreamState;
  readonly metadata: SharedV4ProviderMetadata;
  readonly warnings: SharedV4Warning[];
  readonly toError: (error: unknown) => unknown;
  started: boolean;
  done: boolean;
};

/** One pull of the part stream: the parts of the next chunk that makes any, or the end. */
async function pullParts(
  source: PartSource,
  controller: ReadableStreamDefaultController<LanguageModelV4StreamPart>,
): Promise<void> {
  if (!source.started) {
    source.started = true;
    controller.enqueue({ type: 'stream-start', warnings: source.warnings });
  }
  if (source.done) return;
  try {
    // A pull must enqueue something, or the stream waits for a pull that never comes:
    // read on past chunks that make no part (an empty role chunk, for one).
    for (;;) {
      const next = await source.iterator.next();
      if (next.done === true) {
        source.done = true;
        for (const part of finishStream(source.state, source.metadata)) controller.enqueue(part);
        controller.close();
        return;
      }
      const parts = acceptChunk(source.state, next.value);
      for (const part of parts) controller.enqueue(part);
      if (parts.length > 0) return;
    }
  } catch (error) {
    source.done = true;
    controller.enqueue({ type: 'error', error: source.toError(error) });
    const interrupted = { unified: 'error', raw: undefined } as const;
    for (const part of finishStream(source.state, source.metadata, interrupted))
      controller.enqueue(part);
    controller.close();
  }
}
