/**
 * Public entry of the gateway emulator: `startEmulator` and the types users need to configure
 * it, inject faults and read its request log. Helpers (routing, bodies, SSE writing) stay internal.
 */
export { credentialHeader } from './admit-request.ts';
export type {
  EmulatedGatewayOptions,
  EmulatorCloudflareOptions,
  EmulatorCredential,
} from './cloudflare-auth.ts';
export { defaultDynamicRouteTarget } from './cloudflare-auth.ts';
export type { CloudflareMetadata } from './cloudflare-metadata.ts';
export { defaultEmbeddingDimensions } from './embeddings.ts';
export type {
  BodyCutFault,
  DelayFault,
  ErrorIn200Fault,
  Fault,
  FaultHandle,
  FaultMatch,
  FaultRule,
  FinishErrorFault,
  HangFault,
  KeepAliveFault,
  MalformedChunkFault,
  RedirectFault,
  ResetFault,
  StatusFault,
  StreamCutFault,
  StreamErrorFault,
  StreamNoDoneFault,
  StreamStallFault,
} from './faults.ts';
export { parseFault, parseFaultRule } from './parse-fault.ts';
export { defaultPersonalityPaths, type Personality } from './personality.ts';
export { faultHeader } from './play-fault.ts';
export type { EmulatorRouteKind, RecordedRequest, RequestOutcome } from './request-log.ts';
export type { EmulatorEndpoint } from './routes.ts';
export type { RouteStep } from './run-route.ts';
export type { Emulator, EmulatorOptions } from './start-emulator.ts';
export { defaultCreated, startEmulator } from './start-emulator.ts';
