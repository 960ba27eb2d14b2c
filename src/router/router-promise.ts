/**
 * The promise a router call returns: the value, plus `withRoute()` and `withResponse()`. The two
 * methods are shared functions that find the call through the promise they are called on, so a
 * call allocates no closure for them, and the route is only built when one of them is called.
 */
import { redactorFor } from '../internal/redact.ts';
import type { Served } from './attempt-log.ts';
import type { RouteInfo, RouterPromise } from './types.ts';

const servedKey: unique symbol = Symbol('switchyard.served');

/** Where a call leaves its result for `withRoute()` and `withResponse()`. */
export type CallResult = { served: Served<unknown> | undefined };

type Carrier<T> = RouterPromise<T> & { [servedKey]: CallResult };

/** Makes `data` (which settles once `result.served` is set, or fails) a {@link RouterPromise}. */
export function toRouterPromise<T>(data: Promise<T>, result: CallResult): RouterPromise<T> {
  const promise = data as Carrier<T>;
  promise[servedKey] = result;
  promise.withRoute = withRoute;
  promise.withResponse = withResponse;
  return promise;
}

function withRoute<T>(this: Carrier<T>): Promise<{ data: T; route: RouteInfo }> {
  const result = this[servedKey];
  return this.then(async (data) => {
    const served = result.served as Served<unknown>;
    await served.settle();
    return { data, route: served.route };
  });
}

function withResponse<T>(this: Carrier<T>): Promise<{
  data: T;
  response: Response;
  request_id: string | null;
  route: RouteInfo;
}> {
  const result = this[servedKey];
  return this.then(async (data) => {
    const served = result.served as Served<unknown>;
    await served.settle();
    const route = served.route;
    return {
      data,
      // The SDK hands out the raw response; a gateway may echo a key in a header of it.
      response: redactorFor(served.target.setup.secrets).response(served.response),
      // From the attempt log, where the id was redacted (a gateway may echo a key in it).
      request_id: route.gatewayIds['x-request-id'] ?? null,
      route,
    };
  });
}
