import { logProvider } from './log/log-provider';
import type { ProviderDefinition } from './provider';
import { sipgateProvider } from './sipgate/sipgate-provider';
import { webhookProvider } from './webhook/webhook-provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  sipgateProvider,
  webhookProvider,
] as unknown as readonly ProviderDefinition[];
