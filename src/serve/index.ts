/**
 * Public entry `switchyard-ai/serve`: the router as an OpenAI-compatible HTTP API. The handler is
 * runtime-neutral (Node, Cloudflare Workers, Bun, Deno); `startNodeServer` binds it to `node:http`.
 */
export {
  createServeHandler,
  defaultMaxBodyBytes,
  type ServeHandler,
  type ServeHandlerOptions,
  type ServeRequestLog,
} from './create-handler.ts';
export {
  type CloseNodeServerOptions,
  type NodeServer,
  type StartNodeServerOptions,
  startNodeServer,
} from './node-server.ts';
