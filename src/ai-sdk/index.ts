/**
 * Public entry `switchyard-ai/ai-sdk`: an AI SDK provider over a router. Needs the optional peer
 * dependencies `ai` and `@ai-sdk/provider`; the main entry `switchyard-ai` never imports them.
 */
export {
  createSwitchyard,
  type SwitchyardProvider,
  type SwitchyardProviderOptions,
} from './create-switchyard.ts';
