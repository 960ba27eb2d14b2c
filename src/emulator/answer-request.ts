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
import { createResponseEvents, createResponseObject, planResponse } from './responses.ts';
import type { EmulatorRoute } from './routes.ts';
import { runDeployedRoute, type ServedRoute } from './run-deployed-route.ts';
import { sendChatStream } from './send-chat-stream.ts';
import { sendResponseStream } from './send-response-stream.ts';
import type { EmulatorOptions } from './start-emulator.ts';

/** Settings one emulator's request handler works with. */
export type EmulatorState = {
  /** The options the emulator was started with. */
  options: EmulatorOptions;
  /** Source of `created`, in Unix seconds. */
  clock: () => number;
  /** The gateway cache. */
  cache: ResponseCache;
  /** The fault rules. */
  faults: FaultRegistry;
  /** Routes deployed through the routes API. */
  routes: DynamicRouteStore;
};

/** The fault this request gets: its `x-emulator-fault` header's, else the first matching rule's. */
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
  if (headerFault === 'refused') return { refused: true };
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
  if (selected === undefined) return { refused: false };
  entry.fault = selected.fault;
  if (selected.ruleId !== undefined) {
    entry.faultRuleId = selected.ruleId;
  }
  return { fault: selected.fault, refused: false };
}

/** The configured delay for a model: its own `modelLatencyMs`, else `latencyMs`. */
function latencyFor(options: { settings: EmulatorOptions; model: string | undefined }): number {
  const { settings, model } = options;
  const perModel = settings.modelLatencyMs;
  if (model !== undefined && perModel !== undefined && Object.hasOwn(perModel, model)) {
    return perModel[model] ?? 0;
  }
  return settings.latencyMs ?? 0;
}

/** What {@link answer} and its per-endpoint renderers need. */
type AnswerOptions = {
  exchange: Exchange;
  route: EmulatorRoute;
  admission: Admission;
  fault: Fault | undefined;
  clock: () => number;
  personality: Personality;
};

/** Renders the deterministic answer; returns whether it was a clean, cacheable one. */
async function answer(options: AnswerOptions): Promise<boolean> {
  switch (options.route.endpoint) {
    case 'embeddings':
      return answerEmbeddings(options);
    case 'responses':
      return answerResponse(options);
    default:
      return answerChat(options);
  }
}

function refuseInvalid(
  options: AnswerOptions & { problem: { message: string; param: string } },
): false {
  const { exchange, problem } = options;
  const { message, param } = problem;
  const headers = options.admission.headers;
  sendOpenAIError({ exchange, status: 400, code: 'invalid_value', message, param, headers });
  return false;
}

function answerEmbeddings(options: AnswerOptions): boolean {
  const { exchange } = options;
  const { body, headers } = options.admission;
  const embeddings = createEmbeddingsResponse({ body });
  if (!embeddings.ok) return refuseInvalid({ ...options, problem: embeddings });
  sendJson({ exchange, status: 200, body: embeddings.value, headers });
  return true;
}

async function answerResponse(options: AnswerOptions): Promise<boolean> {
  const { exchange, fault } = options;
  const { body, headers } = options.admission;
  const id = `resp_emu_${formatSequence(exchange.entry.seq)}`;
  const planned = planResponse({ body, id, created: options.clock() });
  if (!planned.ok) return refuseInvalid({ ...options, problem: planned });
  if (!planned.value.stream) {
    sendJson({ exchange, status: 200, body: createResponseObject(planned.value), headers });
    return true;
  }
  const events = createResponseEvents(planned.value);
  await sendResponseStream({ exchange, events, fault, headers, personality: options.personality });
  return fault === undefined || fault.type === 'delay';
}

async function answerChat(options: AnswerOptions): Promise<boolean> {
  const { exchange, fault } = options;
  const { body, headers } = options.admission;
  const id = `chatcmpl-emu-${formatSequence(exchange.entry.seq)}`;
  const plan = planChatCompletion({ body, id, created: options.clock() });
  if (!plan.ok) return refuseInvalid({ ...options, problem: plan });
  if (plan.value.stream) {
    const chunks = createChatCompletionChunks(plan.value);
    await sendChatStream({ exchange, chunks, fault, headers, personality: options.personality });
    return fault === undefined || fault.type === 'delay';
  }
  const completion = createChatCompletion(plan.value);
  if (fault?.type !== 'body-cut') {
    sendJson({ exchange, status: 200, body: completion, headers });
    return true;
  }
  // The whole length is announced, half the JSON is sent, then the connection is cut.
  const text = JSON.stringify(completion);
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

/** Options for {@link handleApiRequest}. */
export type HandleApiRequestOptions = {
  /** The exchange to answer. */
  exchange: Exchange;
  /** The matched route. */
  route: EmulatorRoute;
  /** The emulator's settings and stores. */
  state: EmulatorState;
};

/**
 * Answers one API request the way its gateway would: admission (credentials, body), a fault when
 * one applies, the gateway cache, latency, then the answer.
 */
export async function handleApiRequest(options: HandleApiRequestOptions): Promise<void> {
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
  if (admission === undefined) return;
  const personality = personalityOf({
    kind: route.kind,
    path: exchange.entry.path,
    paths: state.options.personalities,
  });
  const { fault, refused } = chooseFault({ exchange, route, state, personality });
  // A hang answers nothing at all: not even the configured latency applies.
  if (refused || fault?.type === 'hang') return;
  const delayMs =
    latencyFor({ settings: state.options, model: exchange.entry.model }) +
    (fault?.type === 'delay' ? fault.ms : 0);
  if (!(await wait({ ms: delayMs, signal: exchange.signal }))) return;
  const headers = admission.headers;
  if (fault !== undefined && playResponseFault({ exchange, fault, headers, personality })) return;
  const served = await runRouteIfDeployed({ ...options, admission, fault });
  if (served === undefined) return;
  const clean = await answer({ exchange, route, ...served, clock: state.clock, personality });
  if (clean && admission.cacheKey !== undefined) {
    storeInCache({ exchange, cache: state.cache, key: admission.cacheKey });
  }
}

/** The admission and fault to answer with: the request's own, or what its deployed route chose. */
function runRouteIfDeployed(
  options: HandleApiRequestOptions & { admission: Admission; fault: Fault | undefined },
): Promise<ServedRoute | undefined> {
  const { exchange, route, admission, state } = options;
  if (admission.route === undefined || route.kind !== 'cloudflare') {
    return Promise.resolve({ admission, fault: options.fault });
  }
  return runDeployedRoute({
    exchange,
    route,
    admission,
    faults: state.faults,
    cloudflare: state.options.cloudflare,
  });
}

/** Remembers a clean answer for `cf-aig-cache-ttl` seconds, else Cloudflare's default. */
function storeInCache(options: { exchange: Exchange; cache: ResponseCache; key: string }): void {
  const ttlSeconds = Number(options.exchange.entry.headers['cf-aig-cache-ttl']);
  options.cache.store({
    key: options.key,
    now: performance.now(),
    ttlMs: Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : defaultCacheTtlMs,
  });
}
