/**
 * A call endpoint of the serve handler (`/v1/chat/completions`, `/v1/embeddings`,
 * `/v1/responses`): the body read within its limits, the access policy, the call, the answer.
 */
import type { AttemptRecord } from '../errors.ts';
import type { RouteInfo } from '../router/types.ts';
import { checkAccess } from './access-policy.ts';
import { attemptHeaders, callChat, callEmbeddings, callResponses } from './call-router.ts';
import type { KeyGrant } from './client-keys.ts';
import { errorFromRouter, serveError } from './openai-error.ts';
import { readJsonBody } from './read-body.ts';
import { fail, finish, type RequestRecord } from './request-record.ts';

/** Which router method an endpoint calls. */
export type CallKind = 'chat' | 'embeddings' | 'responses';

/** Options of {@link handleCall}. */
export type HandleCallOptions = {
  readonly record: RequestRecord;
  readonly kind: CallKind;
  readonly grant: KeyGrant | undefined;
};

/** A `POST` endpoint: reads the body, checks access, makes the call, answers. */
export async function handleCall(options: HandleCallOptions): Promise<Response> {
  const { record, kind, grant } = options;
  const { state } = record;
  const body = await readJsonBody({
    request: record.request,
    maxBodyBytes: state.maxBodyBytes,
    budget: state.budget,
  });
  if (!body.ok) {
    const headers: Record<string, string> = body.error.status === 503 ? { 'retry-after': '1' } : {};
    return fail(record, { error: body.error, headers });
  }
  try {
    return await makeCall({ record, kind, grant, params: body.value });
  } finally {
    state.budget.give(body.takenBytes);
  }
}

type MakeCallOptions = HandleCallOptions & { readonly params: Record<string, unknown> };

/** The body is in: its model, the access policy, then the call and its answer or error. */
async function makeCall(options: MakeCallOptions): Promise<Response> {
  const { record, kind, grant, params } = options;
  const { state } = record;
  if (typeof params['model'] !== 'string' || params['model'] === '') {
    const error = serveError({
      status: 400,
      message: 'The request body needs "model": an alias from the config, or <gateway>:<model>.',
      param: 'model',
      code: 'missing_model',
    });
    return fail(record, { error });
  }
  record.model = params['model'];
  const router = state.routerOf();
  record.router = router;
  const keysRequired = state.currentKeys().required;
  const refused = checkAccess({ router, model: record.model, params, keysRequired, grant });
  if (refused !== undefined) return fail(record, { error: refused });
  record.stream = params['stream'] === true;
  let streamRoute: RouteInfo | undefined;
  const { metrics } = state;
  const call = {
    router,
    params,
    stream: record.stream,
    signal: record.request.signal,
    ...(metrics === undefined
      ? {}
      : {
          onStreamEnd: () => {
            metrics.inFlight(-1);
            metrics.cost(record.model, streamRoute?.cost, router.config());
          },
        }),
  };
  try {
    const answer =
      kind === 'chat'
        ? await callChat(call)
        : kind === 'embeddings'
          ? await callEmbeddings(call)
          : await callResponses(call);
    if (answer === undefined) {
      const error = serveError({
        status: 404,
        message: 'This version of switchyard has no Responses API support.',
        code: 'unknown_route',
      });
      return fail(record, { error });
    }
    streamRoute = answer.route;
    return finish(record, answer);
  } catch (error) {
    record.stream = false;
    return fail(record, {
      error: errorFromRouter(error),
      headers: attemptHeaders(error),
      attempts: (error as { attempts?: readonly AttemptRecord[] }).attempts,
    });
  }
}
