/**
 * `switchyard-ai/otel`: OpenTelemetry tracing for the router, after the GenAI semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/). One span per
 * call (`chat fast`, the name asked for) and one child span per attempt (`chat <upstream model>`),
 * with `gen_ai.*` attributes and the router's own under `switchyard.*`.
 *
 * Needs the optional peer dependency `@opentelemetry/api`; the core entry point never imports
 * it. Prompts and answers are recorded only with `captureContent: true`; credentials never are.
 * With no tracer provider registered, a call costs one check (the span does not record).
 */
import {
  type Attributes,
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { CallTrace, RouterTracing, TraceAttempt, TraceCallEnd } from '../router/tracing.ts';

/** Options of {@link createOpenTelemetryTracing}. */
export type OpenTelemetryTracingOptions = {
  /** The tracer to use. @default trace.getTracer('switchyard-ai') (the global provider's) */
  tracer?: Tracer;
  /**
   * Record prompts (`gen_ai.input.messages`) and answers (`gen_ai.output.messages`) on the call
   * span. They may hold personal data. @default false
   */
  captureContent?: boolean;
};

/** Tracing for `createRouter(table, { tracing })`, through OpenTelemetry. */
export function createOpenTelemetryTracing(
  options: OpenTelemetryTracingOptions = {},
): RouterTracing {
  const tracer = options.tracer ?? trace.getTracer('switchyard-ai');
  const captureContent = options.captureContent ?? false;
  return {
    startCall(start) {
      const attributes: Attributes = {
        'gen_ai.operation.name': start.operation,
        'gen_ai.request.model': start.model,
        'switchyard.alias': start.model,
        'switchyard.stream': start.stream,
      };
      const params = start.params;
      for (const [field, attribute] of requestAttributes) {
        const value = params[field];
        if (typeof value === 'number') attributes[attribute] = value;
      }
      if (start.context !== undefined) {
        for (const [key, value] of Object.entries(start.context))
          attributes[`switchyard.context.${key}`] = value;
      }
      const span = tracer.startSpan(`${start.operation} ${start.model}`, {
        kind: SpanKind.INTERNAL,
        attributes,
      });
      // No recording tracer registered: the router skips the rest of the work.
      if (!span.isRecording()) {
        span.end();
        return undefined;
      }
      if (captureContent && Array.isArray(params['messages']))
        span.setAttribute('gen_ai.input.messages', JSON.stringify(params['messages']));
      const parent = trace.setSpan(otelContext.active(), span);
      let serving: Span | undefined;
      let attempts = 0;

      const callTrace: CallTrace = {
        attempt(attempt) {
          attempts += 1;
          const child = startAttemptSpan({ tracer, parent, operation: start.operation, attempt });
          if (attempt.record.decision === 'success') serving = child;
          else child.end();
        },
        end(end) {
          const finished = performance.timeOrigin + performance.now();
          const shared = responseAttributes(end);
          if (serving !== undefined) {
            serving.setAttributes(shared);
            serving.end(finished);
          }
          span.setAttributes(shared);
          span.setAttribute('switchyard.attempts', attempts);
          if (end.route !== undefined) {
            span.setAttributes({
              'switchyard.upstream': end.route.upstream,
              'switchyard.gateway': end.route.gateway,
            });
          }
          if (captureContent && end.output !== undefined) {
            span.setAttribute(
              'gen_ai.output.messages',
              JSON.stringify([
                { role: 'assistant', parts: [{ type: 'text', content: end.output }] },
              ]),
            );
          }
          if (end.error !== undefined) {
            span.setAttribute('error.type', errorType(end.error));
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(end.error) });
          }
          span.end(finished);
        },
      };
      return callTrace;
    },
  };
}

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

/** An attempt's span, back-dated to when the attempt started. */
function startAttemptSpan(options: {
  tracer: Tracer;
  parent: ReturnType<typeof trace.setSpan>;
  operation: string;
  attempt: TraceAttempt;
}): Span {
  const { attempt } = options;
  const { record } = attempt;
  const now = performance.timeOrigin + performance.now();
  const server = serverOf(attempt.url);
  const attributes: Attributes = {
    'gen_ai.operation.name': options.operation,
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
  const span = options.tracer.startSpan(
    `${options.operation} ${record.model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: now - record.durationMs,
      attributes,
    },
    options.parent,
  );
  if (record.decision !== 'success' && record.decision !== 'skipped') {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      ...(record.message === undefined ? {} : { message: record.message }),
    });
  }
  if (record.decision === 'skipped') span.end(now);
  return span;
}

function responseAttributes(end: TraceCallEnd): Attributes {
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
function serverOf(url: string): Attributes {
  try {
    const parsed = new URL(url);
    const port =
      parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return { 'server.address': parsed.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
