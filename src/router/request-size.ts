/**
 * A request's size against an upstream's context window, estimated without a tokenizer: the
 * characters of its messages and tool definitions, divided by {@link charactersPerToken}, plus
 * the output it asks for. Only computed for plans where some upstream declares `contextWindow`
 * or `maxOutputTokens` (the plan's `sized` flag); other calls never come here.
 *
 * The error bound: the BPE tokenizers of OpenAI, Anthropic and Google average about 4
 * characters per token on English prose, and fewer on code, JSON, digits and non-Latin scripts
 * (Chinese, Japanese or Arabic take one token or more per character). Dividing by 5 makes the
 * estimate a low one: about 80% of the real count for English prose, far lower for the rest.
 * A target is skipped only when even this low estimate cannot fit, so a request that would fit
 * is not turned away by the estimate; one the estimate lets through and the model refuses gets
 * a context-length error, after which only targets with a larger window are tried.
 */
import type { ResolvedTarget } from './resolve-plan.ts';

/** Characters per token the estimate divides by (see the module's note on its error bound). */
export const charactersPerToken = 5;

/** A request's estimated size. */
export type RequestSize = {
  /** Estimated prompt tokens (messages, tools), on the low side. */
  readonly promptTokens: number;
  /** The output it asks for (`max_completion_tokens`, else `max_tokens`); undefined = none asked. */
  readonly outputTokens: number | undefined;
};

/** Estimates the size of a chat, embeddings or Responses request body. */
export function estimateRequestSize(params: Readonly<Record<string, unknown>>): RequestSize {
  const characters =
    countCharacters(params['messages']) +
    countCharacters(params['input']) +
    countCharacters(params['instructions']) +
    countJson(params['tools']) +
    countJson(params['functions']) +
    countJson(params['response_format']);
  return {
    promptTokens: Math.ceil(characters / charactersPerToken),
    outputTokens: outputOf(params),
  };
}

/** Why a request cannot be sent to a target, or undefined when it may fit. */
export function sizeMismatch(target: ResolvedTarget, size: RequestSize): string | undefined {
  const { contextWindow, maxOutputTokens } = target.upstream;
  const output = size.outputTokens ?? outputOf(target.body);
  if (maxOutputTokens !== undefined && output !== undefined && output > maxOutputTokens) {
    return `the request asks for ${output} output tokens; upstream "${target.upstream.name}" writes at most ${maxOutputTokens} (maxOutputTokens)`;
  }
  if (contextWindow === undefined) return undefined;
  const needed = size.promptTokens + (output ?? 0);
  if (needed <= contextWindow) return undefined;
  return `the request needs at least ${needed} tokens (prompt estimated at ${size.promptTokens}${output === undefined ? '' : ` + ${output} output`}); upstream "${target.upstream.name}" has a ${contextWindow}-token window (contextWindow)`;
}

function outputOf(body: Readonly<Record<string, unknown>>): number | undefined {
  const value = body['max_completion_tokens'] ?? body['max_tokens'] ?? body['max_output_tokens'];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Characters of text in a message list, a content part list or a string (iterative: any depth).
 * An object met twice is counted once, so a cyclic request (which the SDK then refuses to send)
 * cannot keep the walk going.
 */
function countCharacters(value: unknown): number {
  let total = 0;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      total += item.length;
      continue;
    }
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    if (Array.isArray(item)) for (const each of item) stack.push(each);
    else {
      const record = item as Record<string, unknown>;
      stack.push(record['content'], record['text'], record['input'], record['output']);
      if (record['tool_calls'] !== undefined) total += countJson(record['tool_calls']);
      if (record['function_call'] !== undefined) total += countJson(record['function_call']);
    }
  }
  return total;
}

/** Characters of a value's JSON (tool definitions and schemas are sent as JSON). */
function countJson(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
