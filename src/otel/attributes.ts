/**
 * The OpenTelemetry attributes of the router's spans, after the GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/): `gen_ai.*`, `server.*`,
 * `error.type`, and the router's own under `switchyard.*`. Pure functions of what the router
 * reports.
 */
import type { Attributes } from '@opentelemetry/api';
import type { AttemptRecord } from '../errors.ts';
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
  // No GenAI convention names a cost yet: the attribute is Switchyard's own.
  const cost = end.route?.cost;
  if (cost !== undefined) attributes['switchyard.cost_usd'] = cost;
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

/**
 * The call span's status message. With `captureContent` it is the error's message; without,
 * it holds no upstream text (an upstream's message may quote the prompt or the answer): the
 * error's code, and the class, status and gateway code of the attempt that failed last.
 */
export function errorMessage(error: unknown, captureContent: boolean): string {
  if (captureContent) return error instanceof Error ? error.message : String(error);
  const attempts = (error as { attempts?: readonly AttemptRecord[] } | undefined)?.attempts;
  const last = attempts?.findLast((record) => record.errorClass !== undefined);
  const lastError = (error as { lastError?: unknown } | undefined)?.lastError;
  return last === undefined
    ? errorType(error)
    : `${errorType(error)}: last attempt ${failureSummary({ record: last, error: lastError })}`;
}

/**
 * An attempt span's status message. With `captureContent`, the attempt log's message; without,
 * only the class, the status and the gateway's own code (`server 503`, `content_filter 424
 * code 2029`), never the upstream's text.
 */
export function attemptMessage(attempt: TraceAttempt, captureContent: boolean): string | undefined {
  if (captureContent) return attempt.record.message;
  return failureSummary({ record: attempt.record, error: attempt.error });
}

/** `class status code`, from the record and the error's machine-readable code. */
function failureSummary(options: { record: AttemptRecord; error: unknown }): string {
  const { record } = options;
  const code = gatewayCodeOf(options.error);
  return [
    record.errorClass ?? record.decision,
    ...(record.status === undefined ? [] : [String(record.status)]),
    ...(code === undefined ? [] : [`code ${code}`]),
  ].join(' ');
}

/**
 * The gateway's machine-readable code of a failure: Cloudflare's numeric `code` (its `error`
 * array, `internalCode`), or an OpenAI-style `code`/`type` string that looks like an identifier
 * (never free text).
 */
export function gatewayCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const body = (error as { error?: unknown }).error;
  const first = Array.isArray(body) ? (body[0] as { code?: unknown } | undefined) : undefined;
  const record = Array.isArray(body) ? undefined : (body as Record<string, unknown> | undefined);
  for (const value of [
    first?.code,
    record?.['internalCode'],
    (error as { code?: unknown }).code,
    typeof record === 'object' && record !== null ? record['code'] : undefined,
  ]) {
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    if (typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value)) return value;
  }
  return undefined;
}
