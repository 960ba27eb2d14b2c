/**
 * One API request answered as its gateway would: admitted (credentials, body), a fault played
 * when a header or a rule names one, served from the gateway cache when it can be, delayed by the
 * configured latency, then answered (chat completion, embeddings or response; plain or streamed).
 */
import { type Admission, admitRequest } from './admit-request.ts';
import {
  createChatCompletion,
  createChatCompletionChunks,
  planChatCompletion,
} from './completions.ts';
import type { DynamicRouteStore } from './dynamic-routes.ts';
import { createEmbeddingsResponse } from './embeddings.ts';
import {
  type Exchange,
  sendJson,
  sendOpenAIError,
  wait,
  writeFlushed,
  writeHead,
} from './exchange.ts';
import type { FaultRegistry } from './fault-registry.ts';
import type { Fault } from './faults.ts';
import { type Personality, personalityOf } from './personality.ts';
import { playResponseFault, readHeaderFault } from './play-fault.ts';
import { formatSequence } from './request-log.ts';
import { defaultCacheTtlMs, type ResponseCache } from './response-cache.ts';
import {
  createResponseEvents,
  createResponseObject,
  planResponse,
  sendResponseStream,
} from './responses.ts';
import type { EmulatorRoute } from './routes.ts';
import { runDeployedRoute } from './run-deployed-route.ts';
import { sendChatStream } from './send-stream.ts';
import type { EmulatorOptions } from './start-emulator.ts';

/** Settings one emulator's request handler works with. */
export type EmulatorState = {
  options: EmulatorOptions;
  clock: () => number;
  cache: ResponseCache;
  faults: FaultRegistry;
  routes: DynamicRouteStore;
};

function chooseFault(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  state: EmulatorState;
  personality: Personality;
}): {
  fault?: Fault;
  refused: boolean;
} {
  const { exchange, route } = options;
  const { entry } = exchange;
  // A header fault is a one-off for this request: it wins and leaves the rules' counts alone.
  const headerFault = readHeaderFault(exchange);
  if (headerFault === 'refused') {
    return { refused: true };
  }
  if (headerFault !== undefined) {
    entry.fault = headerFault;
    return { fault: headerFault, refused: false };
  }
  const selected = options.state.faults.take({
    model: entry.model,
    path: entry.path,
    gateway: route.kind === 'cloudflare' ? `${route.accountId}/${route.gatewayId}` : undefined,
    kind: route.kind,
    personality: options.personality,
    stream: entry.stream,
  });
  if (selected === undefined) {
    return { refused: false };
  }
  entry.fault = selected.fault;
  if (selected.ruleId !== undefined) {
    entry.faultRuleId = selected.ruleId;
  }
  return { fault: selected.fault, refused: false };
}

function latencyFor(options: { settings: EmulatorOptions; model: string | undefined }): number {
  const { settings, model } = options;
  const perModel = settings.modelLatencyMs;
  if (model !== undefined && perModel !== undefined && Object.hasOwn(perModel, model)) {
    return perModel[model] ?? 0;
  }
  return settings.latencyMs ?? 0;
}

/** Renders the deterministic answer; returns whether it was a clean, cacheable one. */
async function answer(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  admission: Admission;
  fault: Fault | undefined;
  clock: () => number;
  personality: Personality;
}): Promise<boolean> {
  const { exchange, admission } = options;
  const { body, headers } = admission;
  const invalid = (problem: { message: string; param: string }) =>
    sendOpenAIError({
      exchange,
      status: 400,
      code: 'invalid_value',
      message: problem.message,
      param: problem.param,
      headers,
    });
  if (options.route.endpoint === 'embeddings') {
    const embeddings = createEmbeddingsResponse({ body });
    if (!embeddings.ok) {
      invalid(embeddings);
      return false;
    }
    sendJson({ exchange, status: 200, body: embeddings.value, headers });
    return true;
  }
  if (options.route.endpoint === 'responses') {
    const planned = planResponse({
      body,
      id: `resp_emu_${formatSequence(exchange.entry.seq)}`,
      created: options.clock(),
    });
    if (!planned.ok) {
      invalid(planned);
      return false;
    }
    if (!planned.value.stream) {
      sendJson({ exchange, status: 200, body: createResponseObject(planned.value), headers });
      return true;
    }
    await sendResponseStream({
      exchange,
      events: createResponseEvents(planned.value),
      fault: options.fault,
      headers,
    });
    return options.fault === undefined || options.fault.type === 'delay';
  }
  const plan = planChatCompletion({
    body,
    id: `chatcmpl-emu-${formatSequence(exchange.entry.seq)}`,
    created: options.clock(),
  });
  if (!plan.ok) {
    invalid(plan);
    return false;
  }
  if (!plan.value.stream) {
    if (options.fault?.type === 'body-cut') {
      // The whole length is announced, half the JSON is sent, then the connection is cut.
      const text = JSON.stringify(createChatCompletion(plan.value));
      writeHead({
        exchange,
        status: 200,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        },
      });
      await writeFlushed({ exchange, text: text.slice(0, Math.floor(text.length / 2)) });
      exchange.entry.outcome = 'cut';
      exchange.request.socket.destroy();
      return false;
    }
    sendJson({ exchange, status: 200, body: createChatCompletion(plan.value), headers });
    return true;
  }
  await sendChatStream({
    exchange,
    chunks: createChatCompletionChunks(plan.value),
    fault: options.fault,
    headers,
    personality: options.personality,
  });
  return options.fault === undefined || options.fault.type === 'delay';
}

/**
 * Answers one API request the way its gateway would: admission (credentials, body), a fault when
 * one applies, the gateway cache, latency, then the answer.
 */
export async function handleApiRequest(options: {
  exchange: Exchange;
  route: EmulatorRoute;
  state: EmulatorState;
}): Promise<void> {
  const { exchange, route, state } = options;
  const admission = admitRequest({
    exchange,
    route,
    cloudflare: state.options.cloudflare,
    apiKeys: state.options.apiKeys,
    allowMissingApiKey: state.options.allowMissingApiKey ?? false,
    cache: state.cache,
    routes: state.routes,
  });
  if (admission === undefined) {
    return;
  }
  const personality = personalityOf({
    kind: route.kind,
    path: exchange.entry.path,
    paths: state.options.personalities,
  });
  const { fault, refused } = chooseFault({ exchange, route, state, personality });
  if (refused || fault?.type === 'hang') {
    // A hang answers nothing at all: not even the configured latency applies.
    return;
  }
  const delayMs =
    latencyFor({ settings: state.options, model: exchange.entry.model }) +
    (fault?.type === 'delay' ? fault.ms : 0);
  if (!(await wait({ ms: delayMs, signal: exchange.signal }))) {
    return;
  }
  if (
    fault !== undefined &&
    playResponseFault({ exchange, fault, headers: admission.headers, personality })
  ) {
    return;
  }
  let served: { admission: typeof admission; fault: Fault | undefined } = { admission, fault };
  if (admission.route !== undefined && route.kind === 'cloudflare') {
    const ran = await runDeployedRoute({
      exchange,
      route,
      admission,
      faults: state.faults,
      cloudflare: state.options.cloudflare,
    });
    if (ran === undefined) return;
    served = ran;
  }
  const clean = await answer({
    exchange,
    route,
    admission: served.admission,
    fault: served.fault,
    clock: state.clock,
    personality,
  });
  if (clean && admission.cacheKey !== undefined) {
    const ttlSeconds = Number(exchange.entry.headers['cf-aig-cache-ttl']);
    state.cache.store({
      key: admission.cacheKey,
      now: performance.now(),
      ttlMs: Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : defaultCacheTtlMs,
    });
  }
}
