/**
 * An alias as an AI SDK language model (specification v4, the one `ai` 7 consumes): every
 * `generateText` / `streamText` call goes through `router.chat.completions.create`, so the
 * alias's fallback chain, retries, deadline and health memory apply, and the route comes back
 * as `providerMetadata.switchyard`.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import type OpenAI from 'openai';
import type { Router, RouterRequestOptions } from '../router/types.ts';
import { convertCallOptions } from './convert-prompt.ts';
import {
  headersRecord,
  mapFinishReason,
  mapUsage,
  type OpenAIUsage,
  routeMetadata,
} from './convert-response.ts';
import { toAISDKError } from './map-error.ts';

/** Options of {@link createLanguageModel}. */
export type CreateLanguageModelOptions = {
  router: Router;
  /** The alias (or `<gateway>:<model>`). */
  model: string;
  /** Provider id reported to the AI SDK. */
  provider: string;
};

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** Builds the model. No I/O. */
export function createLanguageModel(options: CreateLanguageModelOptions): LanguageModelV4 {
  const { router, model } = options;

  const requestOptions = (call: LanguageModelV4CallOptions): RouterRequestOptions => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(call.headers ?? {}))
      if (value !== undefined) headers[name] = value;
    return {
      ...(call.abortSignal === undefined ? {} : { signal: call.abortSignal }),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
    };
  };

  return {
    specificationVersion: 'v4',
    provider: options.provider,
    modelId: model,
    // OpenAI's chat API takes image URLs as they are.
    supportedUrls: { 'image/*': [/^https?:\/\/.*$/] },

    async doGenerate(call): Promise<LanguageModelV4GenerateResult> {
      const { body, warnings } = convertCallOptions(call);
      const params = {
        ...body,
        model,
        stream: false,
      } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      let result: Awaited<
        ReturnType<ReturnType<Router['chat']['completions']['create']>['withResponse']>
      >;
      try {
        result = await router.chat.completions.create(params, requestOptions(call)).withResponse();
      } catch (error) {
        throw toAISDKError(error, { model, requestBody: params, signal: call.abortSignal });
      }
      const completion = result.data as OpenAI.Chat.ChatCompletion;
      const choice = completion.choices[0];
      const message = choice?.message as
        | (OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string; reasoning?: string })
        | undefined;
      const content: LanguageModelV4Content[] = [];
      const reasoning = message?.reasoning_content ?? message?.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '')
        content.push({ type: 'reasoning', text: reasoning });
      if (typeof message?.content === 'string' && message.content !== '')
        content.push({ type: 'text', text: message.content });
      if (typeof message?.refusal === 'string' && message.refusal !== '')
        content.push({ type: 'text', text: message.refusal });
      for (const call of message?.tool_calls ?? []) {
        if (call.type !== 'function') continue;
        content.push({
          type: 'tool-call',
          toolCallId: call.id,
          toolName: call.function.name,
          input: call.function.arguments,
        });
      }
      return {
        content,
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
    },

    async doStream(call): Promise<LanguageModelV4StreamResult> {
      const { body, warnings } = convertCallOptions(call);
      const params = {
        ...body,
        model,
        stream: true,
        stream_options: { include_usage: true },
      } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
      let opened: Awaited<
        ReturnType<ReturnType<Router['chat']['completions']['create']>['withResponse']>
      >;
      try {
        opened = await router.chat.completions.create(params, requestOptions(call)).withResponse();
      } catch (error) {
        throw toAISDKError(error, { model, requestBody: params, signal: call.abortSignal });
      }
      const chunks = opened.data as AsyncIterable<Chunk>;
      const iterator = chunks[Symbol.asyncIterator]();
      const state = createStreamState();
      const metadata = routeMetadata(opened.route);
      let started = false;
      let done = false;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async pull(controller) {
          if (!started) {
            started = true;
            controller.enqueue({ type: 'stream-start', warnings });
          }
          if (done) return;
          try {
            // A pull must enqueue something, or the stream waits for a pull that never comes:
            // read on past chunks that make no part (an empty role chunk, for one).
            for (;;) {
              const next = await iterator.next();
              if (next.done === true) {
                done = true;
                for (const part of state.finish(metadata)) controller.enqueue(part);
                controller.close();
                return;
              }
              const parts = state.accept(next.value);
              for (const part of parts) controller.enqueue(part);
              if (parts.length > 0) return;
            }
          } catch (error) {
            done = true;
            controller.enqueue({
              type: 'error',
              error: toAISDKError(error, { model, requestBody: params, signal: call.abortSignal }),
            });
            for (const part of state.finish(metadata, { unified: 'error', raw: undefined }))
              controller.enqueue(part);
            controller.close();
          }
        },
        async cancel() {
          done = true;
          await iterator.return?.();
        },
      });
      return {
        stream,
        request: { body: params },
        response: { headers: headersRecord(opened.response.headers) },
      };
    },
  };
}

type PendingToolCall = { id: string; name: string; arguments: string };

/** Turns chat completion chunks into AI SDK stream parts, keeping what spans chunks. */
function createStreamState() {
  let metadataSent = false;
  let textOpen = false;
  let reasoningOpen = false;
  let finishReason: LanguageModelV4FinishReason = { unified: 'other', raw: undefined };
  let usage: LanguageModelV4Usage = mapUsage(undefined);
  const toolCalls = new Map<number, PendingToolCall>();

  return {
    accept(chunk: Chunk): LanguageModelV4StreamPart[] {
      const parts: LanguageModelV4StreamPart[] = [];
      if (!metadataSent) {
        metadataSent = true;
        parts.push({
          type: 'response-metadata',
          ...(chunk.id ? { id: chunk.id } : {}),
          ...(chunk.model ? { modelId: chunk.model } : {}),
          ...(typeof chunk.created === 'number'
            ? { timestamp: new Date(chunk.created * 1000) }
            : {}),
        });
      }
      if (chunk.usage != null) usage = mapUsage(chunk.usage as OpenAIUsage);
      const choice = chunk.choices[0];
      if (choice === undefined) return parts;
      if (choice.finish_reason != null) finishReason = mapFinishReason(choice.finish_reason);
      const delta = choice.delta as Chunk['choices'][number]['delta'] & {
        reasoning_content?: string | null;
        reasoning?: string | null;
      };
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '') {
        if (!reasoningOpen) {
          reasoningOpen = true;
          parts.push({ type: 'reasoning-start', id: 'reasoning-0' });
        }
        parts.push({ type: 'reasoning-delta', id: 'reasoning-0', delta: reasoning });
      }
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (reasoningOpen) {
          reasoningOpen = false;
          parts.push({ type: 'reasoning-end', id: 'reasoning-0' });
        }
        if (!textOpen) {
          textOpen = true;
          parts.push({ type: 'text-start', id: 'text-0' });
        }
        parts.push({ type: 'text-delta', id: 'text-0', delta: delta.content });
      }
      for (const toolDelta of delta.tool_calls ?? []) {
        let pending = toolCalls.get(toolDelta.index);
        if (pending === undefined) {
          pending = {
            id: toolDelta.id ?? `call-${toolDelta.index}`,
            name: toolDelta.function?.name ?? '',
            arguments: '',
          };
          toolCalls.set(toolDelta.index, pending);
          parts.push({ type: 'tool-input-start', id: pending.id, toolName: pending.name });
        }
        const argumentsDelta = toolDelta.function?.arguments;
        if (typeof argumentsDelta === 'string' && argumentsDelta !== '') {
          pending.arguments += argumentsDelta;
          parts.push({ type: 'tool-input-delta', id: pending.id, delta: argumentsDelta });
        }
      }
      return parts;
    },

    finish(
      providerMetadata: ReturnType<typeof routeMetadata>,
      override?: LanguageModelV4FinishReason,
    ): LanguageModelV4StreamPart[] {
      const parts: LanguageModelV4StreamPart[] = [];
      if (reasoningOpen) parts.push({ type: 'reasoning-end', id: 'reasoning-0' });
      if (textOpen) parts.push({ type: 'text-end', id: 'text-0' });
      reasoningOpen = false;
      textOpen = false;
      // An interrupted stream's half-received tool calls are not passed on as calls.
      if (override === undefined) {
        for (const call of toolCalls.values()) {
          parts.push({ type: 'tool-input-end', id: call.id });
          parts.push({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.name,
            input: call.arguments === '' ? '{}' : call.arguments,
          });
        }
      }
      toolCalls.clear();
      parts.push({
        type: 'finish',
        finishReason: override ?? finishReason,
        usage,
        providerMetadata,
      });
      return parts;
    },
  };
}
