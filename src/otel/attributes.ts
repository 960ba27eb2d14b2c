/**
 * The OpenTelemetry attributes of the router's spans, after the GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): `gen_ai.*`, `server.*`,
 * `error.type`, and the router's own under `switchyard.*`. Pure functions of what the router
 * reports.
 */
import type { Attributes } from '@opentelemetry/api';
import type { TraceAttempt, TraceCallEnd, TraceCallStart } from '../router/tracing.ts';

/** Request fields recorded as `gen_ai.request.*`. */
const requestAttributes: readonly (readonly [string, string])[] = [
  ['max_tokens', 'gen_ai.request.max_tokens'],
  ['max_completion_tokens', 'gen_ai.request.max_tokens'],
  ['temperature', 'gen_ai.request.temperature'],
  ['top_p', 'gen_ai.request.top_p'],
  ['frequency_penalty', 'gen_ai.request.frequency_penalty'],
  ['presence_penalty', 'gen_ai.request.presence_penalty'],
  ['seed', 'gen_ai.request.seed'],
];

/** The call span's attributes at its start: operation, alias, request settings, context. */
export function callAttributes(start: TraceCallStart): Attributes {
  const attributes: Attributes = {
    'gen_ai.operation.name': start.operation,
    'gen_ai.request.model': start.model,
    'switchyard.alias': start.model,
    'switchyard.stream': start.stream,
  };
  for (const [field, attribute] of requestAttributes) {
    const value = start.params[field];
    if (typeof value === 'number') attributes[attribute] = value;
  }
  if (start.context !== undefined) {
    for (const [key, value] of Object.entries(start.context))
      attributes[`switchyard.context.${key}`] = value;
  }
  return attributes;
}

/** An attempt span's attributes: the request, the server, the upstream and how it ended. */
export function attemptAttributes(operation: string, attempt: TraceAttempt): Attributes {
  const { record } = attempt;
  const server = serverOf(attempt.url);
  const attributes: Attributes = {
    'gen_ai.operation.name': operation,
    'gen_ai.request.model': record.model,
    // gen_ai.system is the older name of gen_ai.provider.name; both are set for older backends.
    'gen_ai.provider.name': attempt.provider ?? attempt.gatewayType,
    'gen_ai.system': attempt.provider ?? attempt.gatewayType,
    ...server,
    'switchyard.upstream': record.upstream,
    'switchyard.gateway': record.gateway,
    'switchyard.gateway.type': attempt.gatewayType,
    'switchyard.target_index': record.targetIndex,
    'switchyard.attempt': record.attempt,
    'switchyard.decision': record.decision,
    'switchyard.wait_ms': record.waitMs,
  };
  if (record.status !== undefined) attributes['http.response.status_code'] = record.status;
  if (record.errorClass !== undefined) {
    attributes['switchyard.error_class'] = record.errorClass;
    attributes['error.type'] = record.errorClass;
  }
  for (const [name, value] of Object.entries(record.gatewayIds ?? {}))
    attributes[`switchyard.gateway_id.${name}`] = value;
  return attributes;
}

/** What the answer says: the model that answered, its id, finish reasons and token usage. */
export function responseAttributes(end: TraceCallEnd): Attributes {
  const attributes: Attributes = {};
  if (end.responseModel !== undefined) attributes['gen_ai.response.model'] = end.responseModel;
  if (end.responseId !== undefined) attributes['gen_ai.response.id'] = end.responseId;
  if (end.finishReasons !== undefined && end.finishReasons.length > 0)
    attributes['gen_ai.response.finish_reasons'] = [...end.finishReasons];
  if (end.usage !== undefined) {
    if (end.usage.inputTokens !== undefined)
      attributes['gen_ai.usage.input_tokens'] = end.usage.inputTokens;
    if (end.usage.outputTokens !== undefined)
      attributes['gen_ai.usage.output_tokens'] = end.usage.outputTokens;
  }
  return attributes;
}

/** `server.address` and `server.port` of a request URL. */
export function serverOf(url: string): Attributes {
  try {
    const parsed = new URL(url);
    const port =
      parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return { 'server.address': parsed.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

/** `error.type`: the error's stable code, else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/** The error's message, for the span status. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
