/**
 * OpenAI chat completion results → AI SDK result pieces: finish reasons, usage, and the route
 * as provider metadata.
 */
import type {
  JSONObject,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type OpenAI from 'openai';
import type { RouteInfo } from '../router/types.ts';

/** The key of the route in `providerMetadata`. */
export const metadataKey = 'switchyard';

/** OpenAI's `finish_reason` as the AI SDK's. */
export function mapFinishReason(raw: string | null | undefined): LanguageModelV4FinishReason {
  const reason = raw ?? undefined;
  switch (reason) {
    case 'stop':
      return { unified: 'stop', raw: reason };
    case 'length':
      return { unified: 'length', raw: reason };
    case 'content_filter':
      return { unified: 'content-filter', raw: reason };
    case 'tool_calls':
    case 'function_call':
      return { unified: 'tool-calls', raw: reason };
    default:
      return { unified: 'other', raw: reason };
  }
}

/** OpenAI-shaped usage (as far as the upstream reported it). */
export type OpenAIUsage = {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
};

/** OpenAI usage as the AI SDK's; unknown counts stay undefined. */
export function mapUsage(usage: OpenAIUsage | null | undefined): LanguageModelV4Usage {
  const input = usage?.prompt_tokens ?? undefined;
  const output = usage?.completion_tokens ?? undefined;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? undefined;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens ?? undefined;
  return {
    inputTokens: {
      total: input,
      noCache: input !== undefined && cached !== undefined ? input - cached : input,
      cacheRead: cached,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: output !== undefined && reasoning !== undefined ? output - reasoning : output,
      reasoning,
    },
    ...(usage == null ? {} : { raw: usage as JSONObject }),
  };
}

/** The route as provider metadata: `providerMetadata.switchyard`. */
export function routeMetadata(route: RouteInfo): SharedV4ProviderMetadata {
  return {
    [metadataKey]: {
      model: route.model,
      upstream: route.upstream,
      gateway: route.gateway,
      upstreamModel: route.upstreamModel,
      attempts: route.attempts.map((attempt) => ({ ...attempt })) as unknown as JSONObject[],
      gatewayIds: { ...route.gatewayIds },
    },
  };
}

/** A `Headers` object as a plain record. */
export function headersRecord(headers: Headers | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  headers?.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/** An assistant message as the AI SDK's content: reasoning, text, refusal, then tool calls. */
export function messageContent(
  message:
    | (OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string; reasoning?: string })
    | undefined,
): LanguageModelV4Content[] {
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
  return content;
}
