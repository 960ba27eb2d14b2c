/**
 * Chat completion chunks → AI SDK stream parts. What spans chunks (whether a text or reasoning
 * part is open, the tool calls being assembled, the finish reason and usage seen so far) lives
 * in one explicit {@link StreamState}.
 */
import type {
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from '@ai-sdk/provider';
import type OpenAI from 'openai';
import { mapFinishReason, mapUsage, type OpenAIUsage } from './convert-response.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Delta = Chunk['choices'][number]['delta'] & {
  reasoning_content?: string | null;
  reasoning?: string | null;
};
type ToolCallDelta = NonNullable<Delta['tool_calls']>[number];
type PendingToolCall = { id: string; name: string; arguments: string };

/** What one stream has seen so far. */
export type StreamState = {
  metadataSent: boolean;
  textOpen: boolean;
  reasoningOpen: boolean;
  finishReason: LanguageModelV4FinishReason;
  usage: LanguageModelV4Usage;
  /** Tool calls being assembled, by their index in the choice. */
  readonly toolCalls: Map<number, PendingToolCall>;
};

/** The state of a stream before its first chunk. */
export function createStreamState(): StreamState {
  return {
    metadataSent: false,
    textOpen: false,
    reasoningOpen: false,
    finishReason: { unified: 'other', raw: undefined },
    usage: mapUsage(undefined),
    toolCalls: new Map(),
  };
}

/** The parts one chunk makes (possibly none), in order. */
export function acceptChunk(state: StreamState, chunk: Chunk): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [];
  if (!state.metadataSent) {
    state.metadataSent = true;
    parts.push(metadataPart(chunk));
  }
  if (chunk.usage != null) state.usage = mapUsage(chunk.usage as OpenAIUsage);
  const choice = chunk.choices[0];
  if (choice === undefined) return parts;
  if (choice.finish_reason != null) state.finishReason = mapFinishReason(choice.finish_reason);
  const delta = choice.delta as Delta;
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') reasoningParts(state, reasoning, parts);
  if (typeof delta.content === 'string' && delta.content !== '')
    textParts(state, delta.content, parts);
  for (const toolDelta of delta.tool_calls ?? []) toolCallParts(state, toolDelta, parts);
  return parts;
}

function metadataPart(chunk: Chunk): LanguageModelV4StreamPart {
  return {
    type: 'response-metadata',
    ...(chunk.id ? { id: chunk.id } : {}),
    ...(chunk.model ? { modelId: chunk.model } : {}),
    ...(typeof chunk.created === 'number' ? { timestamp: new Date(chunk.created * 1000) } : {}),
  };
}

function reasoningParts(
  state: StreamState,
  reasoning: string,
  parts: LanguageModelV4StreamPart[],
): void {
  if (!state.reasoningOpen) {
    state.reasoningOpen = true;
    parts.push({ type: 'reasoning-start', id: 'reasoning-0' });
  }
  parts.push({ type: 'reasoning-delta', id: 'reasoning-0', delta: reasoning });
}

/** Text closes the reasoning part before it. */
function textParts(state: StreamState, text: string, parts: LanguageModelV4StreamPart[]): void {
  if (state.reasoningOpen) {
    state.reasoningOpen = false;
    parts.push({ type: 'reasoning-end', id: 'reasoning-0' });
  }
  if (!state.textOpen) {
    state.textOpen = true;
    parts.push({ type: 'text-start', id: 'text-0' });
  }
  parts.push({ type: 'text-delta', id: 'text-0', delta: text });
}

function toolCallParts(
  state: StreamState,
  toolDelta: ToolCallDelta,
  parts: LanguageModelV4StreamPart[],
): void {
  let pending = state.toolCalls.get(toolDelta.index);
  if (pending === undefined) {
    pending = {
      id: toolDelta.id ?? `call-${toolDelta.index}`,
      name: toolDelta.function?.name ?? '',
      arguments: '',
    };
    state.toolCalls.set(toolDelta.index, pending);
    parts.push({ type: 'tool-input-start', id: pending.id, toolName: pending.name });
  }
  const argumentsDelta = toolDelta.function?.arguments;
  if (typeof argumentsDelta === 'string' && argumentsDelta !== '') {
    pending.arguments += argumentsDelta;
    parts.push({ type: 'tool-input-delta', id: pending.id, delta: argumentsDelta });
  }
}

/**
 * The parts that end a stream: open parts closed, assembled tool calls passed on (not after an
 * interruption, given as `override`), and the finish part with usage and the route.
 */
export function finishStream(
  state: StreamState,
  providerMetadata: SharedV4ProviderMetadata,
  override?: LanguageModelV4FinishReason,
): LanguageModelV4StreamPart[] {
  const parts: LanguageModelV4StreamPart[] = [];
  if (state.reasoningOpen) parts.push({ type: 'reasoning-end', id: 'reasoning-0' });
  if (state.textOpen) parts.push({ type: 'text-end', id: 'text-0' });
  state.reasoningOpen = false;
  state.textOpen = false;
  // An interrupted stream's half-received tool calls are not passed on as calls.
  if (override === undefined) {
    for (const call of state.toolCalls.values()) {
      parts.push({ type: 'tool-input-end', id: call.id });
      parts.push({
        type: 'tool-call',
        toolCallId: call.id,
        toolName: call.name,
        input: call.arguments === '' ? '{}' : call.arguments,
      });
    }
  }
  state.toolCalls.clear();
  parts.push({
    type: 'finish',
    finishReason: override ?? state.finishReason,
    usage: state.usage,
    providerMetadata,
  });
  return parts;
}
