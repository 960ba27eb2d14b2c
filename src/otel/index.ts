/**
 * `switchyard-ai/otel`: OpenTelemetry tracing for the router, after the GenAI semantic
 * conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/). One span per
 * call (`chat fast`, the name asked for) and one child span per attempt (`chat <upstream model>`),
 * with `gen_ai.*` attributes and the router's own under `switchyard.*`.
 *
 * Needs the optional peer dependency `@opentelemetry/api`; the core entry point never imports
 * it. Prompts and answers are recorded only with `captureContent: true`, and so is any text an
 * upstream sent (error messages, excerpts of a body that is not an answer): without it, a failed
 * span's status says the error's class, status and code only. Credentials are never recorded.
 * With no tracer provider registered, a call costs one check (the span does not record).
 */
import {
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type {
  CallTrace,
  RouterTracing,
  TraceAttempt,
  TraceCallEnd,
  TraceCallStart,
} from '../router/tracing.ts';
import {
  attemptAttributes,
  attemptMessage,
  callAttributes,
  errorMessage,
  errorType,
  responseAttributes,
} from './attributes.ts';

/** Options of {@link createOpenTelemetryTracing}. */
export type OpenTelemetryTracingOptions = {
  /** The tracer to use. @default trace.getTracer('switchyard-ai') (the global provider's) */
  tracer?: Tracer;
  /**
   * Record prompts (`gen_ai.input.messages`) and answers (`gen_ai.output.messages`) on the call
   * span, and upstream error text in span status messages. They may hold personal data. Off,
   * a failed span's status carries only the error's class, HTTP status and gateway code.
   * @default false
   */
  captureContent?: boolean;
};

/** Tracing for `createRouter(table, { tracing })`, through OpenTelemetry. */
export function createOpenTelemetryTracing(
  options: OpenTelemetryTracingOptions = {},
): RouterTracing {
  const settings: TracingSettings = {
    tracer: options.tracer ?? trace.getTracer('switchyard-ai'),
    captureContent: options.captureContent ?? false,
  };
  return { startCall: (start) => startCall(settings, start) };
}

/** The tracing options with their defaults applied. */
type TracingSettings = { readonly tracer: Tracer; readonly captureContent: boolean };

/** One call being traced: its span, and the attempt span that served it (ended with the call). */
type CallState = {
  readonly settings: TracingSettings;
  readonly operation: string;
  readonly span: Span;
  readonly parent: ReturnType<typeof trace.setSpan>;
  serving: Span | undefined;
  attempts: number;
};

/** Starts the call span; `undefined` when no recording tracer is registered. */
function startCall(settings: TracingSettings, start: TraceCallStart): CallTrace | undefined {
  const span = settings.tracer.startSpan(`${start.operation} ${start.model}`, {
    kind: SpanKind.INTERNAL,
    attributes: callAttributes(start),
  });
  // No recording tracer registered: the router skips the rest of the work.
  if (!span.isRecording()) {
    span.end();
    return undefined;
  }
  const messages = start.params['messages'];
  if (settings.captureContent && Array.isArray(messages))
    span.setAttribute('gen_ai.input.messages', JSON.stringify(messages));
  const state: CallState = {
    settings,
    operation: start.operation,
    span,
    parent: trace.setSpan(otelContext.active(), span),
    serving: undefined,
    attempts: 0,
  };
  return {
    attempt: (attempt) => recordAttempt(state, attempt),
    end: (end) => endCall(state, end),
  };
}

function recordAttempt(state: CallState, attempt: TraceAttempt): void {
  state.attempts += 1;
  const child = startAttemptSpan({
    tracer: state.settings.tracer,
    captureContent: state.settings.captureContent,
    parent: state.parent,
    operation: state.operation,
    attempt,
  });
  if (attempt.record.decision === 'success') state.serving = child;
  else child.end();
}

function endCall(state: CallState, end: TraceCallEnd): void {
  const { span, serving } = state;
  const finished = performance.timeOrigin + performance.now();
  const shared = responseAttributes(end);
  if (serving !== undefined) {
    serving.setAttributes(shared);
    serving.end(finished);
  }
  span.setAttributes(shared);
  span.setAttribute('switchyard.attempts', state.attempts);
  if (end.route !== undefined) {
    span.setAttributes({
      'switchyard.upstream': end.route.upstream,
      'switchyard.gateway': end.route.gateway,
    });
  }
  if (state.settings.captureContent && end.output !== undefined) {
    const output = [{ role: 'assistant', parts: [{ type: 'text', content: end.output }] }];
    span.setAttribute('gen_ai.output.messages', JSON.stringify(output));
  }
  if (end.error !== undefined) {
    span.setAttribute('error.type', errorType(end.error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: errorMessage(end.error, state.settings.captureContent),
    });
  }
  span.end(finished);
}

/** An attempt's span, back-dated to when the attempt started. */
function startAttemptSpan(options: {
  tracer: Tracer;
  captureContent: boolean;
  parent: ReturnType<typeof trace.setSpan>;
  operation: string;
  attempt: TraceAttempt;
}): Span {
  const { attempt } = options;
  const { record } = attempt;
  const now = performance.timeOrigin + performance.now();
  const attributes = attemptAttributes(options.operation, attempt);
  const span = options.tracer.startSpan(
    `${options.operation} ${record.model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: now - record.durationMs,
      attributes,
    },
    options.parent,
  );
  // A hedge's cancelled attempt did not fail: the other one served first.
  if (
    record.decision !== 'success' &&
    record.decision !== 'skipped' &&
    record.decision !== 'cancelled'
  ) {
    const message = attemptMessage(attempt, options.captureContent);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      ...(message === undefined ? {} : { message }),
    });
  }
  if (record.decision === 'skipped') span.end(now);
  return span;
}
